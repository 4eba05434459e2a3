{ lib, rustPlatform, fetchFromGitHub }:
rustPlatform.buildRustPackage rec {
  pname = "plc-mirror";
  version = "0.6.0";

  src = fetchFromGitHub {
    owner = "plc-example";
    repo = "plc-mirror";
    rev = "v${version}";
    hash = "sha256-nGTlPq63mOW4Zp6ynWoEX56tdpPgxyVYMOjNz5YPtU0=";
  };

  cargoHash = lib.fakeHash;
}
