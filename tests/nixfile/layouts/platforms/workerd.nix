{ lib, stdenv, fetchurl }:
let
  version = "1.2025.01.1";
  hashes = {
    x86_64-linux = "8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabac";
    aarch64-linux = "9495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
    x86_64-darwin = "9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9ba";
  };
in
stdenv.mkDerivation {
  pname = "workerd";
  inherit version;
  src = fetchurl {
    url = "https://registry.example.org/workerd-${version}.tgz";
    hash = "sha256:" + (hashes.${stdenv.hostPlatform.system} or (throw "unsupported system"));
  };
}
