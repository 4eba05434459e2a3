# A package's passthru.updateScript as nixpkgs' maintainers/scripts/update.nix reads it, for
# updater/nix/update_script.py: the command (a script, a list of script and arguments, or
# { command; supportedFeatures; attrPath; }), its derivations to realise, and the UPDATE_NIX_*
# values. Arguments arrive only through --argstr.
{
  repo,
  attrPath,
}:
let
  names = builtins.fromJSON attrPath;
  set = let v = import repo; in if builtins.isFunction v then v { } else v;
  pkg = builtins.foldl' (s: n: s.${n}) set names;
  script = pkg.updateScript or (pkg.passthru.updateScript or null);
  command =
    if script == null then
      [ ]
    else if builtins.isList script then
      script
    else if builtins.isAttrs script && script ? command then
      (if builtins.isList script.command then script.command else [ script.command ])
    else
      [ script ];
  isDrv = v: builtins.isAttrs v && (v.type or null) == "derivation";
  str = v: if builtins.isString v then v else null;
in
{
  found = script != null;
  command = map (c: "${c}") command;
  drvs = map (c: c.drvPath) (builtins.filter isDrv command);
  supportedFeatures =
    if builtins.isAttrs script && !(isDrv script) then script.supportedFeatures or [ ] else [ ];
  attrPath =
    if builtins.isAttrs script && !(isDrv script) && script ? attrPath then
      script.attrPath
    else
      builtins.concatStringsSep "." names;
  name = str (pkg.name or null);
  pname = str (pkg.pname or null);
  version = str (pkg.version or null);
  # "<file>:<line>" of the package's definition: whose tree the script may change
  position = str (pkg.meta.position or null);
}
