# Language builders under nixpkgs' names. Each dependency derivation (`goModules`, `npmDeps`,
# `cargoDeps`, `pnpmDeps`) is a real fixed-output derivation over the package's lock file; its
# output is the lock file's dependency lines, so its hash changes exactly when they do. The
# lock-file rules are the ones `updater_sandbox.spec.LOCK_RULES` describes.
{
  lib,
  system,
  hostPath,
  stdenv,
}:
let
  inherit (builtins) isFunction;

  hashAttrs = import ./hashes.nix { inherit lib; };

  rules = {
    go = {
      lockfile = "go.sum";
      pattern = " h1:";
      output = "modules.txt";
    };
    npm = {
      lockfile = "package-lock.json";
      pattern = ''"(resolved|integrity)": '';
      output = "packages.txt";
    };
    rust = {
      lockfile = "Cargo.lock";
      pattern = "^checksum = ";
      output = "checksums.txt";
    };
    pnpm = {
      lockfile = "pnpm-lock.yaml";
      pattern = "resolution: ";
      output = "resolutions.txt";
    };
  };

  # "source/sub/dir" (relative to the unpack directory) -> "sub/dir" (relative to src)
  underSrc =
    sourceRoot:
    if sourceRoot == null then
      ""
    else
      lib.concatStringsSep "/" (lib.tail (lib.splitString "/" sourceRoot));

  joinDirs =
    dirs:
    lib.concatStringsSep "/" (
      lib.filter (d: d != "" && d != "." && d != "./") (map (lib.removeSuffix "/") dirs)
    );

  depsDerivation =
    {
      name,
      kind,
      src,
      lockDir ? "",
      hashArgs,
      fixed ? true,
    }:
    let
      rule = rules.${kind};
    in
    derivation (
      {
        inherit name system src lockDir;
        inherit (rule) lockfile pattern output;
        builder = "/bin/sh";
        args = [ ../builders/deps.sh ];
        common = ../builders/common.sh;
        PATH = hostPath;
      }
      // lib.optionalAttrs fixed (
        {
          outputHashMode = "recursive";
          impureEnvVars = [ "GIT_CONFIG_GLOBAL" ];
        }
        // hashAttrs hashArgs
      )
    );

  resolve = args: if isFunction args then lib.fix args else args;

  buildGoModule =
    args0:
    let
      args = resolve args0;
      vendorHash =
        args.vendorHash or args.vendorSha256 or (throw "buildGoModule: ${args.pname}: vendorHash is required");
      goModules =
        if vendorHash == null then
          null
        else
          depsDerivation {
            name = "${args.pname}-${args.version}-go-modules";
            kind = "go";
            inherit (args) src;
            lockDir = joinDirs [
              (underSrc (args.sourceRoot or null))
              (args.modRoot or "")
            ];
            hashArgs = {
              hash = vendorHash;
              what = "buildGoModule ${args.pname} (vendorHash)";
            };
          };
    in
    stdenv.mkDerivation (
      removeAttrs args [ "vendorSha256" ]
      // {
        inherit goModules vendorHash;
        passthru = (args.passthru or { }) // {
          inherit goModules;
        };
      }
    );

  fetchNpmDeps =
    args@{
      name ? "npm-deps",
      src,
      sourceRoot ? null,
      npmRoot ? "",
      ...
    }:
    depsDerivation {
      inherit name src;
      kind = "npm";
      lockDir = joinDirs [
        (underSrc sourceRoot)
        npmRoot
      ];
      hashArgs = {
        hash = args.hash or null;
        sha256 = args.sha256 or null;
        what = "fetchNpmDeps ${name}";
      };
    };

  buildNpmPackage =
    args0:
    let
      args = resolve args0;
      npmDeps =
        args.npmDeps or (fetchNpmDeps {
          name = "${args.pname}-${args.version}-npm-deps";
          inherit (args) src;
          sourceRoot = args.sourceRoot or null;
          npmRoot = args.npmRoot or "";
          hash = args.npmDepsHash or (throw "buildNpmPackage: ${args.pname}: npmDepsHash is required");
        });
    in
    stdenv.mkDerivation (
      args
      // {
        inherit npmDeps;
        passthru = (args.passthru or { }) // {
          inherit npmDeps;
        };
      }
    );

  fetchCargoVendor =
    args@{
      name ? "cargo-vendor",
      src,
      sourceRoot ? null,
      cargoRoot ? "",
      ...
    }:
    depsDerivation {
      inherit name src;
      kind = "rust";
      lockDir = joinDirs [
        (underSrc sourceRoot)
        cargoRoot
      ];
      hashArgs = {
        hash = args.hash or null;
        sha256 = args.sha256 or null;
        what = "fetchCargoVendor ${name}";
      };
    };

  # `cargoLock.lockFile` vendors from a lock file in the package repository: no hash
  importCargoLock =
    { lockFile, ... }:
    derivation {
      name = "cargo-vendor-dir";
      inherit system;
      builder = "/bin/sh";
      args = [
        "-c"
        ''mkdir -p "$out" && grep -E '^checksum = ' "$lockFile" > "$out/checksums.txt" || true''
      ];
      PATH = hostPath;
      inherit lockFile;
    };

  buildRustPackage =
    args0:
    let
      args = resolve args0;
      cargoDeps =
        if args ? cargoDeps then
          args.cargoDeps
        else if args ? cargoLock then
          importCargoLock args.cargoLock
        else
          fetchCargoVendor {
            name = "${args.pname}-${args.version}-vendor";
            inherit (args) src;
            sourceRoot = args.sourceRoot or null;
            cargoRoot = args.cargoRoot or "";
            hash = args.cargoHash or args.cargoSha256 or (throw "buildRustPackage: ${args.pname}: cargoHash is required");
          };
    in
    stdenv.mkDerivation (
      args
      // {
        inherit cargoDeps;
        passthru = (args.passthru or { }) // {
          inherit cargoDeps;
        };
      }
    );

  pnpmFetchDeps =
    args@{
      pname,
      version ? null,
      src,
      sourceRoot ? null,
      pnpmRoot ? "",
      ...
    }:
    depsDerivation {
      name = "${pname}-pnpm-deps";
      inherit src;
      kind = "pnpm";
      lockDir = joinDirs [
        (underSrc sourceRoot)
        pnpmRoot
      ];
      hashArgs = {
        hash = args.hash or null;
        sha256 = args.sha256 or null;
        what = "pnpm.fetchDeps ${pname}";
      };
    };

  # A tool the package lists as an input; the fixture never runs it.
  stub =
    name:
    derivation {
      inherit name system;
      builder = "/bin/sh";
      args = [
        "-c"
        "mkdir -p $out/bin"
      ];
      PATH = hostPath;
    };

  pnpmOf =
    version:
    stub "pnpm-${version}"
    // {
      inherit version;
      fetchDeps = pnpmFetchDeps;
      configHook = stub "pnpm-config-hook";
    };

  # crane (https://crane.dev): builds from Cargo.lock alone, with no dependency hash
  craneLib = {
    vendorCargoDeps =
      {
        src,
        sourceRoot ? null,
        ...
      }:
      depsDerivation {
        name = "vendor-cargo-deps";
        inherit src;
        lockDir = underSrc sourceRoot;
        kind = "rust";
        hashArgs = { };
        fixed = false;
      };
    cleanCargoSource = src: src;
    buildDepsOnly =
      args:
      stdenv.mkDerivation (
        {
          pname = "${args.pname or "crate"}-deps";
          version = args.version or "0.0.0";
        }
        // removeAttrs args [
          "pname"
          "version"
        ]
        // {
          installPhase = "mkdir -p $out";
        }
      );
    buildPackage =
      args:
      let
        cargoVendorDir =
          args.cargoVendorDir or (craneLib.vendorCargoDeps {
            inherit (args) src;
            sourceRoot = args.sourceRoot or null;
          });
      in
      stdenv.mkDerivation (
        {
          pname = "crate";
          version = "0.0.0";
        }
        // args
        // {
          inherit cargoVendorDir;
        }
      );
  };
in
{
  inherit
    buildGoModule
    fetchNpmDeps
    buildNpmPackage
    fetchCargoVendor
    craneLib
    stub
    ;
  rustPlatform = {
    inherit buildRustPackage fetchCargoVendor importCargoLock;
  };
  pnpm = pnpmOf "9.15.0";
  pnpm_9 = pnpmOf "9.15.0";
  pnpm_10 = pnpmOf "10.4.0";
  crane.mkLib = _pkgs: craneLib;
}
