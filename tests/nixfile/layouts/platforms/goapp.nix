{ buildGoModule, fetchFromGitHub, fetchGoModules, requireFile }:
let
  src = fetchFromGitHub {
    owner = "go-example";
    repo = "goapp";
    rev = "v2.0.0";
    hash = "sha256-xcbHyMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f4OHi4+Q=";
  };
  modules = fetchGoModules {
    inherit src;
    hash = "sha256-zM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6us=";
  };
  sdk = requireFile {
    name = "sdk.zip";
    url = "https://vendor.example.org/sdk";
    sha256 = "1wpiy3pyxvgcxgmfks77wvjy9qz2w7hdzpnxvkdxmnfqszbdbm6k";
  };
in
buildGoModule {
  pname = "goapp";
  version = "2.0.0";
  inherit src;
  vendorHash = null;
  buildInputs = [ modules sdk ];
  cargoLock.outputHashes = {
    "dep-0.1.0" = "sha256-2tvc3d7f4OHi4+Tl5ufo6err7O3u7/Dx8vP09fb3+Pk=";
  };
}
