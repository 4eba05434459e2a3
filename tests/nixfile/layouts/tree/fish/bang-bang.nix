{ buildFishPlugin, sources }:
buildFishPlugin {
  inherit (sources."bang-bang") pname version src;
}
