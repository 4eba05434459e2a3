# Language builders under nixpkgs' names. Each dependency derivation (`goModules`, `npmDeps`,
# `cargoDeps`, `pnpmDeps`) is a real fixed-output derivation over the package's lock file; its
# output is the lock file's dependency lines, so its hash changes exactly when they do. The
# lock-file rules are the ones `updater_sandbox.spec.LOCK_RULES` describes.
{
  lib,
  system,
  hostPath,
  stdenv,
  fetchgit,
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
    yarn = {
      lockfile = "yarn.lock";
      pattern = "^  (resolved|integrity) ";
      output = "offline.txt";
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
      # a line written first to the output: what makes the output differ (fetcherVersion,
      # proxyVendor), as the real fetchers' layouts do
      header ? "",
    }:
    let
      rule = rules.${kind};
    in
    derivation (
      {
        inherit name system src lockDir header;
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
      # proxyVendor: the module cache instead of a vendor directory (another output, another hash)
      proxyVendor = args.proxyVendor or false;
      goModules =
        if vendorHash == null then
          null
        else
          depsDerivation {
            name = "${args.pname}-${args.version}-go-modules";
            kind = "go";
            inherit (args) src;
            header = if proxyVendor then "proxy-vendor: GOPROXY=file://$out" else "";
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
        inherit goModules vendorHash proxyVendor;
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

  # the single fixed-output derivation of buildRustPackage without useFetchCargoVendor
  fetchCargoTarball =
    args@{
      name ? "cargo-deps",
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
        what = "fetchCargoTarball ${name}";
      };
    };

  # nixpkgs' fetchCargoVendor: the download is the fixed-output `vendorStaging`; the vendor
  # directory built from it is an ordinary derivation (so `cargoDeps` has no outputHash)
  fetchCargoVendor =
    args@{
      name ? "cargo-vendor",
      src,
      sourceRoot ? null,
      cargoRoot ? "",
      ...
    }:
    let
      vendorStaging = depsDerivation {
        name = "${name}-vendor-staging";
        inherit src;
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
      vendor = derivation {
        inherit name system vendorStaging;
        builder = "/bin/sh";
        args = [
          "-c"
          ''mkdir -p "$out" && cp -R "$vendorStaging/." "$out/" && echo '[source.vendored-sources]' > "$out/.cargo-config"''
        ];
        PATH = hostPath;
      };
    in
    vendor
    // {
      inherit vendorStaging;
      passthru = {
        inherit vendorStaging;
      };
    };

  # nixpkgs' fetchYarnDeps: the yarn offline cache of a yarn.lock (a file, often "${src}/yarn.lock")
  fetchYarnDeps =
    args@{
      name ? "offline",
      yarnLock ? null,
      src ? null,
      ...
    }:
    let
      lock = if yarnLock != null then yarnLock else "${src}/yarn.lock";
    in
    derivation (
      {
        inherit name system;
        yarnLock = lock;
        builder = "/bin/sh";
        args = [
          "-c"
          ''mkdir -p "$out" && { grep -E '^  (resolved|integrity) ' "$yarnLock" || true; } > "$out/offline.txt"''
        ];
        PATH = hostPath;
        outputHashMode = "recursive";
      }
      // hashAttrs {
        hash = args.hash or null;
        sha256 = args.sha256 or null;
        what = "fetchYarnDeps ${name}";
      }
    );

  # `cargoLock.lockFile` vendors from a lock file (in the package repository, or
  # "${src}/Cargo.lock"); each git dependency of the lock is a fetchgit whose hash is
  # `outputHashes."<name>-<version>"`, as nixpkgs' importCargoLock does
  importCargoLock =
    {
      lockFile,
      outputHashes ? { },
      ...
    }:
    let
      parsed = builtins.fromTOML (builtins.readFile lockFile);
      isGit = p: lib.hasPrefix "git+" (p.source or "");
      fetchGitDep =
        p:
        let
          key = "${p.name}-${p.version}";
          parts = lib.splitString "#" (lib.removePrefix "git+" p.source);
          url = lib.head (lib.splitString "?" (lib.head parts));
          ref = lib.last parts;
          commit = builtins.match "[0-9a-f]{40}" ref != null;
        in
        if !(outputHashes ? ${key}) then
          throw "No hash was found while vendoring the git dependency ${key}. You can add a hash like this to 'outputHashes':\n  \"${key}\" = lib.fakeHash;"
        else
          fetchgit (
            {
              inherit url;
              name = key;
              hash = outputHashes.${key};
            }
            // (if commit then { rev = ref; } else { tag = ref; })
          );
      gitPackages = lib.filter isGit (parsed.package or [ ]);
      gitDeps = map fetchGitDep gitPackages;
      keys = map (p: "${p.name}-${p.version}") gitPackages;
      unused = lib.filter (k: !(builtins.elem k keys)) (builtins.attrNames outputHashes);
    in
    assert lib.assertMsg (unused == [ ])
      "A hash was specified for ${lib.head unused}, but there is no corresponding git dependency.";
    derivation {
      name = "cargo-vendor-dir";
      inherit system lockFile gitDeps;
      builder = "/bin/sh";
      args = [
        "-c"
        ''mkdir -p "$out" && { grep -E '^checksum = ' "$lockFile" || true; } > "$out/checksums.txt" && for d in $gitDeps; do ln -s "$d" "$out/"; done''
      ];
      PATH = hostPath;
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
          (if args.useFetchCargoVendor or false then fetchCargoVendor else fetchCargoTarball) {
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
      # the layout of the store the deps are fetched into; each version hashes differently
      fetcherVersion ? null,
      ...
    }:
    depsDerivation {
      name = "${pname}-pnpm-deps";
      inherit src;
      kind = "pnpm";
      header = if fetcherVersion == null then "" else "fetcherVersion: ${toString fetcherVersion}";
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
    fetchYarnDeps
    craneLib
    stub
    ;
  rustPlatform = {
    inherit
      buildRustPackage
      fetchCargoVendor
      fetchCargoTarball
      importCargoLock
      ;
  };
  pnpm = pnpmOf "9.15.0";
  pnpm_9 = pnpmOf "9.15.0";
  pnpm_10 = pnpmOf "10.4.0";
  crane.mkLib = _pkgs: craneLib;
}
