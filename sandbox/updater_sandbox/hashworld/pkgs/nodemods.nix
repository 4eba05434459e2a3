{ lib, stdenv, fetchFromGitHub, nodejs }:
let
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "nodemods";
    rev = "v${version}";
    hash = "sha256-7/8FgyNq+Vzeerp8J/HXOW4TAHkg/j/pA/vvwInAHOg=";
  };

  # node_modules as installed on the system that builds them: one hash per system, and only a
  # builder of that system can compute it
  nodeModules = stdenv.mkDerivation {
    pname = "nodemods-node-modules";
    inherit version src;
    buildPhase = ''
      { echo "system: $system"; grep -E '"(resolved|integrity)": ' package-lock.json; } > modules.txt
    '';
    installPhase = ''
      mkdir -p $out
      cp modules.txt $out/
    '';
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash =
      {
        x86_64-linux = "sha256-CsqX2l3wNv2kqkMUNH/JdcDKZicWtK7ZoXAtj3ifz7o=";
        aarch64-linux = "sha256-p4/oBcdVo75QQbYK7Uv0M31Iw4jGnWtW9xxSrVUEc5g=";
        aarch64-darwin = "sha256-cTELR8k57BuKeIrValCTxAx+B/8AcfUd2hF6rXRSlmI=";
      }
      .${stdenv.hostPlatform.system};
  };
in
stdenv.mkDerivation {
  pname = "nodemods";
  inherit version src nodeModules;
  nativeBuildInputs = [ nodejs ];
}
