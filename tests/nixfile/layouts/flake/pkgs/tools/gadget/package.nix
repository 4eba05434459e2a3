{
  buildGoModule,
  fetchFromGitLab,
}:
buildGoModule {
  pname = "gadget";
  version = "0.4.0";
  src = fetchFromGitLab {
    owner = "gadget-example";
    repo = "gadget";
    rev = "v0.4.0";
    hash = "sha256-MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFE=";
  };
  vendorHash = "sha256-OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1g=";
}
