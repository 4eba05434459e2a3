{ stdenv, fetchFromGitHub, nodejs }:
let
  nodeModulesHashes = {
    x86_64-linux = "sha256-oqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wME=";
    aarch64-linux = "sha256-oqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wME=";
    aarch64-darwin = "sha256-qaqrrK2ur7CxsrO0tba3uLm6u7y9vr/AwcLDxMXGx8g=";
  };
  src = fetchFromGitHub {
    owner = "dash-example";
    repo = "dash";
    rev = "v1.0.0";
    hash = "sha256-sLGys7S1tre4ubq7vL2+v8DBwsPExcbHyMnKy8zNzs8=";
  };
  node_modules = stdenv.mkDerivation {
    name = "dash-node-modules";
    inherit src;
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = nodeModulesHashes.${stdenv.hostPlatform.system};
  };
in
stdenv.mkDerivation {
  pname = "dash";
  version = "1.0.0";
  inherit src;
  buildInputs = [ node_modules nodejs ];
}
