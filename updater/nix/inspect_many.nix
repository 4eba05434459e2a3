# Several attributes of a package repository described in ONE evaluation, for
# updater/nix/inspect.py (inspect_many): one record per attribute path, as updater/nix/inspect.nix
# writes it, or null when the attribute cannot be evaluated (so one broken package does not
# hide the others). Arguments arrive only through --argstr.
{
  inspect,
  repo,
  attrPaths,
  mode ? "default.nix",
  system ? "",
}:
let
  one =
    path:
    let
      record = import inspect {
        inherit repo mode system;
        attrPath = builtins.toJSON path;
      };
      # The record must be fully evaluable, drvPaths included, or it is null.
      checked = builtins.tryEval (builtins.deepSeq record record);
    in
    if checked.success then checked.value else null;
in
map one (builtins.fromJSON attrPaths)
