{ stdenv, fetchurl }:
stdenv.mkDerivation rec {
  pname = "gizmo";
  version = "3.0";
  src = fetchurl {
    url = "https://gizmo.example.org/releases/gizmo-${version}.tar.gz";
    hash = "sha256-QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";
  };
}
