{ stdenv, fetchFromTangled }:
stdenv.mkDerivation {
  pname = "feed-proxy";
  version = "0.1.0";

  src = fetchFromTangled {
    domain = "tangled.sh";
    owner = "@legacy.example.net";
    repo = "feed-proxy";
    rev = "7b614bb46e991241130b22edb304720a8c21b34e"; # v0.1.0
    sha256 = "1f6hk1zm75zhb1j6kwazhcaxgb5q482ylhb58rz6a50x12baxr3j";
  };
}
