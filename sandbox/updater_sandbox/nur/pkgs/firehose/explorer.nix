{ stdenv, fetchFromGitHub, fetchurl }:
let
  # floats on the npm registry's newest 3.x
  htmx = fetchurl {
    url = "https://unpkg.com/htmx.org@3.x.x/dist/htmx.min.js";
    hash = "sha256-5aRvN9/9uh8cHjcrswvYqGz9Bz3wXLm6l9BKfb10Ztw=";
  };
in
stdenv.mkDerivation {
  pname = "firehose-explorer";
  version = "0.3.1";
  src = fetchFromGitHub {
    owner = "firehose-example";
    repo = "firehose-tools";
    tag = "v0.3.1";
    hash = "sha256-vGzqh3Scj5gpQ2GoVzMRGQmzwQel+wSs3kb9UsmXB4s=";
  };
  postInstall = ''
    cp ${htmx} $out/share/htmx.min.js
  '';
}
