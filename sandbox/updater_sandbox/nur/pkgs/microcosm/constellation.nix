{ craneLib, fetchgit }:
let
  src = fetchgit {
    url = "https://tangled.org/@microcosm.example/microcosm-rs";
    rev = "1420b3538c74be5ae77ecc14a5bd8124a7b3746b";
    hash = "sha256-GPIAru6hSnWIncCPXwSBRt1G7kqlWGsH/1de/PI4UDM=";
  };
in
craneLib.buildPackage {
  pname = "constellation";
  version = "unstable";
  inherit src;
  sourceRoot = "${src.name}/constellation";
  cargoExtraArgs = "-p constellation";
}
