# stdenv.mkDerivation under nixpkgs' attribute shape: `pname`, `version`, `src`, `meta.position`,
# `passthru`, `overrideAttrs`, fixed-output attributes, and the `(finalAttrs: { ... })` form.
{ lib, system, hostPath }:
let
  inherit (builtins) isAttrs isFunction unsafeGetAttrPos;

  platform = {
    inherit system;
    config = system;
    isLinux = lib.hasSuffix "-linux" system;
    isDarwin = lib.hasSuffix "-darwin" system;
    isx86_64 = lib.hasPrefix "x86_64-" system;
    isAarch64 = lib.hasPrefix "aarch64-" system;
    parsed.kernel.name = lib.last (lib.splitString "-" system);
  };

  # Derivation attributes must be strings, numbers, booleans, null, paths, derivations or lists
  # of those; anything else (meta-like sets, functions) stays on the result only.
  passable = v: !(isFunction v) && (!(isAttrs v) || v ? outPath);

  resolveAttrs = fpargs: if isFunction fpargs then lib.fix fpargs else fpargs;

  mkDerivation =
    fpargs:
    let
      attrs = resolveAttrs fpargs;
      pos =
        if attrs ? pname then
          unsafeGetAttrPos "pname" attrs
        else if attrs ? name then
          unsafeGetAttrPos "name" attrs
        else
          null;
      name = attrs.name or "${attrs.pname}-${attrs.version}";
      meta =
        (attrs.meta or { })
        // lib.optionalAttrs (pos != null) { position = "${pos.file}:${toString pos.line}"; };
      passthru = attrs.passthru or { };
      drvAttrs =
        lib.filterAttrs (n: v: passable v) (removeAttrs attrs [ "meta" "passthru" "pos" ])
        // {
          inherit name system;
          builder = "/bin/sh";
          args = [ ../builders/generic.sh ];
          common = ../builders/common.sh;
          PATH = hostPath;
        };
      drv = derivation drvAttrs;
      overrideAttrs =
        f:
        let
          r = f attrs;
        in
        mkDerivation (attrs // (if isFunction r then r attrs else r));
    in
    attrs // drv // passthru // { inherit meta passthru overrideAttrs; };

  stdenv = {
    inherit mkDerivation system hostPath;
    hostPlatform = platform;
    buildPlatform = platform;
    targetPlatform = platform;
    inherit (platform) isLinux isDarwin;
    cc = null;
    shell = "/bin/sh";
  };
in
stdenv
