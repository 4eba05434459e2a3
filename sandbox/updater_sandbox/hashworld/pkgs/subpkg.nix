{
  lib,
  stdenv,
  fetchFromGitHub,
  nix-update-script,
}:
stdenv.mkDerivation (finalAttrs: {
  pname = "subpkg";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "subpkg";
    rev = "v${finalAttrs.version}";
    hash = "sha256-NWB9HBfPcD7SCe2zuIltz4MQPK1JxVibEHiLCtoMg9s=";
  };

  installPhase = ''
    mkdir -p $out
    cp package-lock.json $out/
  '';

  passthru = {
    # the lock file's modules, fetched apart: no input of the package, so only
    # `--subpackage modules` ties them to it
    modules = stdenv.mkDerivation {
      pname = "subpkg-modules";
      inherit (finalAttrs) version src;
      buildPhase = ''
        grep -E '"(resolved|integrity)": ' package-lock.json > modules.txt
      '';
      installPhase = ''
        mkdir -p $out
        cp modules.txt $out/
      '';
      outputHashMode = "recursive";
      outputHashAlgo = "sha256";
      outputHash = "sha256-8pY6IRK+ov6gB9zLchhdxdcqlMdiDskXSlw+azKpvgc=";
    };
    updateScript = nix-update-script {
      extraArgs = [
        "--subpackage"
        "modules"
      ];
    };
  };
})
