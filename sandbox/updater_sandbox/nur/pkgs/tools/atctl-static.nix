{ stdenv, fetchurl }:
stdenv.mkDerivation rec {
  pname = "atctl-static";
  version = "0.4.1";

  src = fetchurl {
    url = "https://github.com/atctl-example/atctl/releases/download/v${version}/atctl-${
      if stdenv.isLinux then "linux-amd64" else "darwin-arm64"
    }";
    sha256 =
      if stdenv.system == "x86_64-linux" then
        "1lqy5ssw32sl6q4qj4nfcbg30lr2yll6b3h2ncwyp1iabbik0zha"
      else if stdenv.system == "aarch64-darwin" then
        "1lhzz0yz0jlf5gz5l2qrbrz6szssa41flhxsrfaprh8pk66nxl3n"
      else
        throw "atctl-static: unsupported system ${stdenv.system}";
  };

  dontUnpack = true;
  installPhase = ''
    mkdir -p $out/bin
    cp $src $out/bin/atctl
    chmod +x $out/bin/atctl
  '';
}
