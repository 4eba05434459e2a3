{
  lib,
  stdenv,
  fetchFromGitHub,
  fetchpatch,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "aamath";
  version = "0.3";

  src = fetchFromGitHub {
    owner = "aa-example";
    repo = "aamath";
    tag = "v${finalAttrs.version}";
    hash = "sha256-CAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJic=";
  };

  patches = [
    (fetchpatch {
      url = "https://patches.example.org/aamath-expr.diff";
      hash = "sha256-DxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4=";
    })
  ];
})
