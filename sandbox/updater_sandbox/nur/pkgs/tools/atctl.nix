{ lib, stdenv, fetchzip }:
let
  system = stdenv.hostPlatform.system;

  platform = {
    x86_64-linux = "linux-amd64";
    x86_64-darwin = "darwin-universal";
    aarch64-darwin = "darwin-universal";
  }.${system};

  hash = {
    x86_64-linux = "sha256-YTzPwPe9XXNgamTkr60Bh3E/KhQBE2w3MaqDXXZky8E=";
    x86_64-darwin = "sha256-LFZ2bKITPfBE/DKeaUoioBfg+cr9uBG/X7zLs8OF218=";
    aarch64-darwin = "sha256-LFZ2bKITPfBE/DKeaUoioBfg+cr9uBG/X7zLs8OF218="; # same universal archive
  }.${system};
in
stdenv.mkDerivation rec {
  pname = "atctl";
  version = "0.4.0";

  src = fetchzip {
    url = "https://github.com/atctl-example/atctl/releases/download/v${version}/atctl-${version}-${platform}.tar.gz";
    inherit hash;
  };

  installPhase = ''
    mkdir -p $out/bin
    cp bin/atctl $out/bin/
  '';

  meta.platforms = [
    "x86_64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];
}
