# Evaluates deploy/nixos/package.nix and deploy/nixos/flake.nix without nixpkgs (none is
# available offline). Stand-ins carry nixpkgs' names; any attribute the files use that is not
# here fails the evaluation, so a misspelt Python package name shows up.
{ packagePath, flakePath }:
let
  pythonNames = [
    "alembic"
    "apscheduler"
    "click"
    "gitpython"
    "graphql-core"
    "httpx"
    "prometheus-client"
    "psycopg"
    "pydantic"
    "pygithub"
    "rich"
    "setuptools"
    "sqlalchemy"
    "structlog"
    "tenacity"
    "tree-sitter"
    # The name nixpkgs would give PyPI's tree-sitter-language-pack; not checked against a real
    # nixpkgs here (no network).
    "tree-sitter-language-pack"
    "wheel"
  ];
  pyPackage = name: { pname = name; };
  python3Packages =
    builtins.listToAttrs (map (name: { inherit name; value = pyPackage name; }) pythonNames)
    // {
      pyjwt = pyPackage "pyjwt" // {
        optional-dependencies.crypto = [ (pyPackage "cryptography") ];
      };
      buildPythonApplication = args: args // { _builder = "buildPythonApplication"; };
    };
  lib = {
    fileset = {
      unions = paths: paths;
      toSource = { root, fileset }: { inherit root fileset; };
    };
    makeBinPath = drvs: builtins.concatStringsSep ":" (map (d: "${d.pname}/bin") drvs);
    licenses.mit = "mit";
    platforms.unix = [ "x86_64-linux" ];
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    getExe = drv: "/bin/${drv.meta.mainProgram}";
    mkDefault = content: { _type = "override"; inherit content; };
  };
  package = import packagePath {
    inherit lib python3Packages;
    git = pyPackage "git";
    nix = pyPackage "nix";
    openssh = pyPackage "openssh";
  };
  names = map (d: d.pname);

  flake = import flakePath;
  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [
      "x86_64-linux"
      "aarch64-linux"
      "x86_64-darwin"
      "aarch64-darwin"
    ] (system: {
      stdenv.hostPlatform.system = system;
      callPackage = path: _args: {
        path = toString path;
        meta.mainProgram = "updater";
      };
    });
  };
  outputs = flake.outputs {
    self = outputs;
    inherit nixpkgs;
  };
  module = outputs.nixosModules.default {
    pkgs = nixpkgs.legacyPackages.x86_64-linux;
    inherit lib;
  };
in
{
  package = {
    inherit (package) pname version pyproject pythonRelaxDeps doCheck pythonImportsCheck;
    builder = package._builder;
    dependencies = names package.dependencies;
    buildSystem = names package.build-system;
    optionalDependencies = builtins.mapAttrs (_: names) package.optional-dependencies;
    mainProgram = package.meta.mainProgram;
    wrapperArgs = package.makeWrapperArgs;
    srcFiles = map toString package.src.fileset;
    srcRoot = toString package.src.root;
  };
  flake = {
    inputs = builtins.attrNames flake.inputs;
    nixpkgsUrl = flake.inputs.nixpkgs.url;
    outputs = builtins.attrNames outputs;
    packages = builtins.mapAttrs (_: builtins.attrNames) outputs.packages;
    packagePath = outputs.packages.x86_64-linux.updater.path;
    defaultIsUpdater = outputs.packages.x86_64-linux.default == outputs.packages.x86_64-linux.updater;
    app = outputs.apps.x86_64-linux.default;
    moduleImports = map toString module.imports;
    modulePackage = module.services.updater.package.content.path;
    nixosModules = builtins.attrNames outputs.nixosModules;
  };
}
