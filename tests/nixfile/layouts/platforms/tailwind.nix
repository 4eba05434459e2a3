{ stdenv, fetchurl }:
stdenv.mkDerivation {
  name = "tailwindcss-standalone";
  src =
    let
      base = "https://github.com/tw-example/tailwindcss/releases/download/v4.0.0";
      srcAttrs =
        if stdenv.system == "x86_64-linux" then
          {
            url = "${base}/tailwindcss-linux-x64";
            sha256 = "sha256-t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dY=";
          }
        else if stdenv.system == "x86_64-darwin" then
          {
            url = "${base}/tailwindcss-macos-x64";
            sha256 = "sha256-bebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdd";
          }
        else
          throw "Unsupported system: ${stdenv.system}";
    in
    fetchurl srcAttrs;
  dontUnpack = true;
}
