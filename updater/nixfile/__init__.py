"""The .nix pin model: scan (tree-sitter-nix), resolve, attribute statically, edit by exact span.

Entry points: `repository.scan_repository` (every pin of a repository), `cache.scan_cached` (the
same, answered from the scan cache while nothing changed), `edit.apply_edits` / `edit.edit_for`
(the editor). Nothing here runs Nix: what Nix says of a file or a package is asked in
updater/nix/. Nothing is imported here: a cached scan must not pay for the parser.
"""
