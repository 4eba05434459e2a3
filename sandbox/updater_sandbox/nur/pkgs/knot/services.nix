# Every knot service is built from one source with one vendorHash.
{ lib, stdenv, buildGoModule, fetchFromTangled }:
let
  version = "unstable-2025-01-23";

  src = fetchFromTangled {
    owner = "@knot.example.org";
    repo = "core";
    rev = "e4dcaef6ffcb5a8ecf06822e2598b73f5757111b";
    hash = "sha256-S73m7g7a87NHZFebNsNECIUi6Qk0pN9fOSOxyM+1Km0=";
    forceFetchGit = true;
  };

  vendorHash = "sha256-rcnSpIRO9599+ZPoYuMtSp19DgEMSQriNFwY7Rynyy0=";

  lexicons = stdenv.mkDerivation {
    pname = "knot-lexicons";
    inherit version src;
    installPhase = ''
      mkdir -p $out/share/lexicons
      cp go.mod $out/share/lexicons/
    '';
  };

  mkService =
    name:
    buildGoModule {
      pname = "knot-${name}";
      inherit version src vendorHash;
      subPackages = [ "cmd/${name}" ];
      preBuild = ''
        cp -R ${lexicons}/share/lexicons ./lexicons
      '';
      meta.mainProgram = name;
    };
in
{
  inherit lexicons;
  appview = mkService "appview";
  knotserver = mkService "knotserver";
  spindle = mkService "spindle";
  jetstream = mkService "jetstream";
  keyfetch = mkService "keyfetch";
  repoguard = mkService "repoguard";
  labeler = mkService "labeler";
  camo = mkService "camo";
  avatar = mkService "avatar";
  notify = mkService "notify";
  guard = mkService "guard";
  tap = mkService "tap";
}
