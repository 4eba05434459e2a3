# Evaluates deploy/nixos/module.nix without nixpkgs (none is available offline): a stand-in for
# the few `lib`, `pkgs` and `utils` functions the module calls, each with the name and meaning
# it has in nixpkgs, and a one-step module "system" that applies option defaults, the user's
# values and the module's own mkDefault settings. It checks what the module declares and
# renders; it does not type-check option values the way the real module system would.
{
  modulePath,
  values ? { },
}:
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    isAttrs
    isList
    length
    listToAttrs
    mapAttrs
    replaceStrings
    substring
    stringLength
    ;

  lib = rec {
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption {
      type = types.bool;
      default = false;
      description = "Whether to enable ${name}.";
    };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkDefault = content: { _type = "override"; priority = 1000; inherit content; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    hasPrefix = prefix: s: substring 0 (stringLength prefix) s == prefix;
    removePrefix =
      prefix: s:
      if hasPrefix prefix s then substring (stringLength prefix) (stringLength s) s else s;
    concatStringsSep = builtins.concatStringsSep;
    getExe = drv: "${drv}/bin/${drv.meta.mainProgram}";
    escapeShellArg = s: "'${replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
    types = {
      bool = { name = "bool"; };
      str = { name = "str"; };
      path = { name = "path"; };
      package = { name = "package"; };
      enum = values: { name = "enum"; inherit values; };
      nullOr = elem: { name = "nullOr"; inherit elem; };
      listOf = elem: { name = "listOf"; inherit elem; };
      strMatching = pattern: { name = "strMatching"; inherit pattern; };
    };
  };

  fakePackage = name: {
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    meta.mainProgram = name;
  };

  pkgs = {
    callPackage = _path: _args: fakePackage "updater";
    git = fakePackage "git";
    openssh = fakePackage "ssh";
    formats.toml = _: {
      type = { name = "toml"; };
      generate = name: _value: "/nix/store/00000000000000000000000000000000-${name}";
    };
    writeShellScript = name: _text: "/nix/store/00000000000000000000000000000000-${name}";
  };

  # nixos/lib/utils.nix: an argument with a space, quote or "$" is quoted, "$" doubled.
  utils.escapeSystemdExecArgs = args: concatStringsSep " " (map escapeArg args);
  escapeArg =
    arg:
    let
      s = replaceStrings [ "\\" "\"" "$" "%" ] [ "\\\\" "\\\"" "$$" "%%" ] (toString arg);
    in
    if builtins.match "[A-Za-z0-9_./:@=+-]+" s != null then s else "\"${s}\"";

  # Strip mkIf (false: gone, or empty at the top) and mkDefault (its content), recursively.
  isGone = v: isAttrs v && (v._type or null) == "if" && !v.condition;
  resolve =
    v:
    if isAttrs v && (v._type or null) == "if" then
      (if v.condition then resolve v.content else { })
    else if isAttrs v && (v._type or null) == "override" then
      resolve v.content
    else if isAttrs v && !(v ? outPath) then
      mapAttrs (_: resolve) (
        listToAttrs (
          map (n: { name = n; value = v.${n}; }) (filter (n: !isGone v.${n}) (attrNames v))
        )
      )
    else if isList v then
      map resolve v
    else
      v;

  recursiveUpdate =
    a: b:
    a
    // mapAttrs (n: bv: if isAttrs bv && isAttrs (a.${n} or null) then recursiveUpdate a.${n} bv else bv) b;

  system = {
    nix = {
      package = fakePackage "nix";
      nixPath = [ "nixpkgs=/nix/var/nix/profiles/per-user/root/channels/nixos" ];
    };
  };

  evaluated = import modulePath {
    inherit lib pkgs utils;
    config = system // {
      services.updater = cfg;
    };
  };

  options = evaluated.options.services.updater;
  defaults = mapAttrs (_: o: o.default or null) options;
  moduleConfig = resolve evaluated.config;
  userSettings = values.settings or { };
  cfg =
    defaults
    // values
    // {
      settings = recursiveUpdate (moduleConfig.services.updater.settings or { }) userSettings;
    };
  describe = t: t // (if t ? elem then { elem = describe t.elem; } else { });
in
{
  options = mapAttrs (_: o: {
    type = describe o.type;
    hasDefault = o ? default;
    hasDescription = o ? description;
  }) options;
  config = removeAttrs moduleConfig [ "services" ];
  settings = cfg.settings;
  enable = cfg.enable;
}
