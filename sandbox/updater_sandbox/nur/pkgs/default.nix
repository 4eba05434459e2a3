# Every package of this NUR, exported as {organization}-{key}: the key is the attribute name in
# the organization's default.nix, which is not always the file name. Aliases and joins follow.
{ pkgs ? import <nixpkgs> { } }:
let
  inherit (pkgs) lib;

  organizations = {
    atproto = import ./atproto { inherit pkgs; };
    indigo = import ./indigo { inherit pkgs; };
    knot = import ./knot { inherit pkgs; };
    jetstream = import ./jetstream { inherit pkgs; };
    feeds = import ./feeds { inherit pkgs; };
    labeler = import ./labeler { inherit pkgs; };
    microcosm = import ./microcosm { inherit pkgs; };
    legacy = import ./legacy { inherit pkgs; };
    tools = import ./tools { inherit pkgs; };
    webapp = import ./webapp { inherit pkgs; };
    deno = import ./deno { inherit pkgs; };
    firehose = import ./firehose { inherit pkgs; };
    pdsadmin = import ./pdsadmin { inherit pkgs; };
    plc = import ./plc { inherit pkgs; };
    resolver = import ./resolver { inherit pkgs; };
  };

  exported = lib.concatMapAttrs (
    org: packages:
    lib.mapAttrs' (key: drv: lib.nameValuePair "${org}-${key}" drv) (
      lib.filterAttrs (_: lib.isDerivation) packages
    )
  ) organizations;

  join =
    org:
    pkgs.symlinkJoin {
      name = "${org}-all";
      paths = lib.attrValues (lib.filterAttrs (_: lib.isDerivation) organizations.${org});
    };
in
exported
// {
  # aliases for the names these packages had before
  bigsky = exported.indigo-relay;
  jetstream = exported.jetstream-jetstream;
  knot-spindle-server = exported.knot-spindle;

  atproto-all = join "atproto";
  knot-all = join "knot";
}
