# One JSON record describing one attribute of a package repository, for updater/nix/inspect.py.
#
# Called as:
#   nix-instantiate --eval --strict --json inspect.nix \
#     --argstr repo <path or flake ref> --argstr attrPath '<JSON list of names>' \
#     --argstr mode default.nix|flake|file [--argstr system <system>]
#
# Every value is read defensively (`or`, tryEval) so one broken field yields null instead of
# failing the whole record; paths are never put into the JSON (that would copy them to the store).
{
  repo,
  attrPath,
  mode ? "default.nix",
  system ? "",
}:
let
  names = builtins.fromJSON attrPath;
  sys = if system == "" then builtins.currentSystem else system;

  # nix-build calls a function-valued default.nix with its defaults; do the same.
  callIfFunction = v: if builtins.isFunction v then v { } else v;

  # `nix build <ref>#a.b` looks in packages.<system>, then legacyPackages.<system>, then the root.
  flakeRoots =
    let
      flake = builtins.getFlake repo;
    in
    builtins.filter (r: r != null) [
      (flake.packages.${sys} or null)
      (flake.legacyPackages.${sys} or null)
      flake
    ];

  # mode "file": one package file called the way nixpkgs calls it, for this system (when the
  # repository as a whole does not evaluate for it: another package throws there)
  fileRoots = [ { package = (import <nixpkgs> { system = sys; }).callPackage (import repo) { }; } ];

  roots =
    if mode == "flake" then
      flakeRoots
    else if mode == "file" then
      fileRoots
    else
      [ (callIfFunction (import repo)) ];

  lookup =
    path: set:
    if path == [ ] then
      {
        found = true;
        value = set;
      }
    else if builtins.isAttrs set && builtins.hasAttr (builtins.head path) set then
      lookup (builtins.tail path) (builtins.getAttr (builtins.head path) set)
    else
      {
        found = false;
        value = null;
      };

  hits = builtins.filter (r: r.found) (map (lookup names) roots);
  found = hits != [ ];
  value = if found then (builtins.head hits).value else null;

  try =
    v:
    let
      r = builtins.tryEval v;
    in
    if r.success then r.value else null;
  str = v: if builtins.isString v then v else null;
  strField = set: name: try (str (set.${name} or null));
  isDrv = v: builtins.isAttrs v && (v.type or null) == "derivation";

  urlsOf =
    d:
    try (
      let
        urls = d.urls or null;
        url = d.url or null;
      in
      if builtins.isList urls then
        builtins.filter builtins.isString urls
      else if builtins.isString url then
        [ url ]
      else
        [ ]
    );

  # What a fixed-output derivation (a fetcher) declares.
  fetchInfo = d: {
    name = strField d "name";
    drvPath = strField d "drvPath";
    outputHash = strField d "outputHash";
    outputHashAlgo = strField d "outputHashAlgo";
    outputHashMode = strField d "outputHashMode";
    urls = urlsOf d;
    rev = strField d "rev";
    fetchSubmodules = try (
      let
        f = d.fetchSubmodules or null;
      in
      if builtins.isBool f then f else null
    );
  };

  # Sub-attributes holding dependency fixed-output derivations, in the order they are refreshed.
  depAttrs = [
    "src"
    "goModules"
    "npmDeps"
    "cargoDeps"
    "pnpmDeps"
    "yarnOfflineCache"
    "offlineCache"
  ];
  present = builtins.filter (n: try (isDrv (value.${n} or null)) == true) depAttrs;
in
{
  inherit found;
  system = sys;
  type = if !found then null else if try (isDrv value) == true then "derivation" else try (builtins.typeOf value);
  derivation = if found && try (isDrv value) == true then fetchInfo value else null;
  pname = if found then strField value "pname" else null;
  version = if found then strField value "version" else null;
  # A list, not an attribute set: Nix would sort the names and lose the refresh order.
  deps = map (n: {
    attr = n;
    info = fetchInfo value.${n};
  }) present;
}
