{ stdenv, fetchFromTangled, deno }:
let
  src = fetchFromTangled {
    domain = "tangled.org";
    owner = "@deno.example";
    repo = "deno-bot";
    tag = "v1.11.0-alpha";
    hash = "sha256-Ar08jL64btWbXg92mAaOYV1piHwEB22Vj6lQgHukel4=";
  };

  denoDeps = stdenv.mkDerivation {
    name = "deno-bot-deps";
    inherit src;
    nativeBuildInputs = [ deno ];
    buildPhase = ''
      grep -E '"integrity": ' deno.lock > integrity.txt
    '';
    installPhase = ''
      mkdir -p $out
      cp integrity.txt $out/
    '';
    outputHashMode = "recursive";
    outputHash = "sha256-5AEFgNdfKWe33D2ficVe8igvxtzoZxBkVstf1jFPxgE=";
  };
in
stdenv.mkDerivation {
  pname = "deno-bot";
  version = "1.11.0-alpha";
  inherit src;
  preBuild = ''
    cp -R ${denoDeps} ./deno-deps
  '';
}
