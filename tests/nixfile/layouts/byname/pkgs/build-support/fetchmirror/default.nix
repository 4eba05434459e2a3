{ fetchurl }:
{ path, hash }:
fetchurl {
  url = "https://mirror.example.org/${path}";
  inherit hash;
}
