# The part of nixpkgs' `lib` that package files of a NUR use, under nixpkgs' names.
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    filter
    foldl'
    functionArgs
    genList
    hasAttr
    head
    intersectAttrs
    isAttrs
    isFunction
    isList
    isString
    length
    listToAttrs
    mapAttrs
    replaceStrings
    stringLength
    substring
    tail
    ;

  fix = f: let x = f x; in x;

  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;
  hasSuffix =
    suff: str:
    let
      ls = stringLength str;
      lf = stringLength suff;
    in
    lf <= ls && substring (ls - lf) lf str == suff;
  removePrefix =
    pref: str: if hasPrefix pref str then substring (stringLength pref) (stringLength str) str else str;
  removeSuffix =
    suff: str:
    if hasSuffix suff str then substring 0 (stringLength str - stringLength suff) str else str;
  hasInfix =
    infix: content:
    let
      li = stringLength infix;
      lc = stringLength content;
      go = i: i + li <= lc && (substring i li content == infix || go (i + 1));
    in
    go 0;
  splitString =
    sep: s: filter isString (builtins.split (replaceStrings [ "." "+" "*" "?" "(" ")" "[" "]" "|" "^" "$" "\\" ] [ "\\." "\\+" "\\*" "\\?" "\\(" "\\)" "\\[" "\\]" "\\|" "\\^" "\\$" "\\\\" ] sep) s);

  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  optionalString = cond: s: if cond then s else "";
  optionalAttrs = cond: as: if cond then as else { };

  nameValuePair = name: value: { inherit name value; };
  mapAttrs' = f: set: listToAttrs (map (n: f n set.${n}) (attrNames set));
  mapAttrsToList = f: set: map (n: f n set.${n}) (attrNames set);
  filterAttrs =
    pred: set:
    listToAttrs (
      concatLists (map (n: if pred n set.${n} then [ (nameValuePair n set.${n}) ] else [ ]) (attrNames set))
    );
  concatMapAttrs = f: set: foldl' (acc: n: acc // f n set.${n}) { } (attrNames set);
  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
  attrByPath =
    path: default: set:
    if path == [ ] then
      set
    else if isAttrs set && hasAttr (head path) set then
      attrByPath (tail path) default set.${head path}
    else
      default;
  recursiveUpdate =
    lhs: rhs:
    lhs
    // mapAttrs (
      n: v: if isAttrs v && isAttrs (lhs.${n} or null) && !(v ? outPath) then recursiveUpdate lhs.${n} v else v
    ) rhs;

  isDerivation = x: isAttrs x && (x.type or null) == "derivation";

  # Like nixpkgs: the result can be re-called with changed arguments through `.override`.
  makeOverridable =
    f: origArgs:
    let
      result = f origArgs;
      overrideWith = newArgs: origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
    in
    if isAttrs result then
      result // { override = newArgs: makeOverridable f (overrideWith newArgs); }
    else if isFunction result then
      # a function returned by a partially applied package (rare): keep it callable
      result
    else
      result;

  # Arguments a package function declares are taken from `autoArgs` unless given explicitly.
  callPackageWith =
    autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      allArgs = intersectAttrs (functionArgs f) autoArgs // args;
    in
    makeOverridable f allArgs;

  licenseOf = spdx: fullName: { inherit spdx fullName; spdxId = spdx; free = true; };

  systems = [
    "x86_64-linux"
    "aarch64-linux"
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  lib = {
    inherit
      fix
      hasPrefix
      hasSuffix
      removePrefix
      removeSuffix
      hasInfix
      splitString
      optional
      optionals
      optionalString
      optionalAttrs
      nameValuePair
      mapAttrs'
      mapAttrsToList
      filterAttrs
      concatMapAttrs
      genAttrs
      attrByPath
      recursiveUpdate
      isDerivation
      makeOverridable
      callPackageWith
      ;
    inherit (builtins)
      attrNames
      attrValues
      concatLists
      concatStringsSep
      elem
      filter
      foldl'
      head
      isAttrs
      isFunction
      isList
      isString
      length
      listToAttrs
      mapAttrs
      replaceStrings
      substring
      tail
      toString
      ;
    last = xs: builtins.elemAt xs (length xs - 1);
    flatten = x: if isList x then concatLists (map lib.flatten x) else [ x ];
    concatMap = f: xs: concatLists (map f xs);
    concatMapStringsSep = sep: f: xs: concatStringsSep sep (map f xs);
    concatMapStrings = f: xs: concatStringsSep "" (map f xs);
    concatStrings = concatStringsSep "";
    unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
    toLower = replaceStrings [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ] [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
    escapeShellArg = arg: "'${replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
    makeBinPath = xs: concatStringsSep ":" (map (x: "${x}/bin") xs);
    getExe = drv: "${drv}/bin/${drv.meta.mainProgram or drv.pname or drv.name}";
    getVersion = drv: drv.version or (builtins.parseDrvName drv.name).version;
    versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;
    versionAtLeast = v1: v2: !(lib.versionOlder v1 v2);
    versions = {
      major = v: builtins.elemAt (builtins.splitVersion v) 0;
      minor = v: builtins.elemAt (builtins.splitVersion v) 1;
      majorMinor = v: concatStringsSep "." (genList (builtins.elemAt (builtins.splitVersion v)) 2);
    };
    assertMsg = pred: msg: pred || throw msg;
    xor = a: b: (a || b) && !(a && b);
    revOrTag = rev: tag: if tag != null then tag else rev;
    warn = msg: v: builtins.trace "warning: ${msg}" v;
    id = x: x;
    const = x: _: x;
    recurseIntoAttrs = as: as // { recurseForDerivations = true; };
    fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    fakeSha256 = "0000000000000000000000000000000000000000000000000000";
    fakeSha512 = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    licenses = {
      mit = licenseOf "MIT" "MIT License";
      asl20 = licenseOf "Apache-2.0" "Apache License 2.0";
      agpl3Only = licenseOf "AGPL-3.0-only" "GNU Affero General Public License v3.0 only";
      gpl3Only = licenseOf "GPL-3.0-only" "GNU General Public License v3.0 only";
      mpl20 = licenseOf "MPL-2.0" "Mozilla Public License 2.0";
      bsd3 = licenseOf "BSD-3-Clause" "BSD 3-clause";
      unfree = (licenseOf "unfree" "Unfree") // { free = false; };
    };
    maintainers = { };
    teams = { };
    platforms = {
      all = systems;
      linux = filter (hasSuffix "-linux") systems;
      darwin = filter (hasSuffix "-darwin") systems;
      unix = systems;
    };
    systems.flakeExposed = systems;
    strings = { inherit hasPrefix hasSuffix removePrefix removeSuffix hasInfix splitString optionalString; };
    attrsets = { inherit mapAttrs' filterAttrs concatMapAttrs genAttrs attrByPath recursiveUpdate nameValuePair; };
    lists = { inherit optional optionals; };
    trivial = { inherit fix; };
    sourceTypes = {
      fromSource = "fromSource";
      binaryNativeCode = "binaryNativeCode";
    };
  };
in
lib
