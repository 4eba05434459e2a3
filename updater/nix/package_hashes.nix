# Every exported attribute of a package repository's default.nix (or the named ones), with the
# output hashes of its src, goModules, npmDeps, cargoDeps and pnpmDeps, its meta.position and
# version, for updater/nix/inspect.py (evaluate_packages). An attribute that fails to evaluate
# is { ok = false; }, not an error. Arguments arrive only through --argstr.
{ repo, attrsJson }:
let
  set = import repo { };
  wanted = if attrsJson == "" then builtins.attrNames set else builtins.fromJSON attrsJson;
  try = e: let r = builtins.tryEval (builtins.deepSeq e e); in if r.success then r.value else null;
  hashOf = p: name: try (if p ? ${name} && p.${name} ? outputHash then p.${name}.outputHash else null);
  info = name:
    let
      r = builtins.tryEval (set.${name});
      p = r.value;
    in
    if !r.success || !(builtins.isAttrs p) then { ok = false; } else {
      ok = true;
      position = try (p.meta.position or null);
      version = try (p.version or null);
      src = hashOf p "src";
      goModules = hashOf p "goModules";
      npmDeps = hashOf p "npmDeps";
      cargoDeps = hashOf p "cargoDeps";
      pnpmDeps = hashOf p "pnpmDeps";
    };
in
builtins.listToAttrs (map (n: { name = n; value = info n; }) wanted)
