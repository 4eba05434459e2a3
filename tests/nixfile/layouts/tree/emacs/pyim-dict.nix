{ trivialBuild, sources }:
trivialBuild {
  inherit (sources.pyim-dict) pname version src;
}
