# A small nixpkgs-shaped package set for the local world: `import <nixpkgs> { }` with
# NIX_PATH=nixpkgs=<this directory>. It offers what NUR package files call, under nixpkgs'
# names and attribute shapes, and nothing else. See sandbox/README.md.
{
  system ? builtins.currentSystem,
  overlays ? [ ],
  config ? { },
  ...
}:
let
  lib = import ./lib;
  # builders use the host's sh, curl, git and tar (Debian's Nix, sandbox = false)
  hostPath = "/usr/local/bin:/usr/bin:/bin";

  base =
    final:
    let
      stdenv = import ./pkgs/stdenv.nix { inherit lib system hostPath; };
      fetchers = import ./pkgs/fetchers.nix { inherit lib system hostPath; };
      builders = import ./pkgs/builders.nix {
        inherit lib system hostPath stdenv;
        inherit (fetchers) fetchgit;
      };
      inherit (builders) stub;
    in
    fetchers
    // builders
    // {
      inherit lib system config stdenv;
      pkgs = final;
      stdenvNoCC = stdenv;
      callPackage = lib.callPackageWith final;
      newScope = extra: lib.callPackageWith (final // extra);
      buildPlatform = stdenv.buildPlatform;
      hostPlatform = stdenv.hostPlatform;

      runCommand =
        name: env: buildCommand:
        stdenv.mkDerivation (env // { inherit name buildCommand; });
      writeText =
        name: text:
        stdenv.mkDerivation {
          inherit name text;
          buildCommand = ''printf '%s' "$text" > "$out"'';
        };
      writeShellScript =
        name: text:
        stdenv.mkDerivation {
          inherit name text;
          buildCommand = ''printf '#!/bin/sh\n%s\n' "$text" > "$out" && chmod +x "$out"'';
        };
      # nixpkgs' shape (a list: the program, then its arguments); the bot reads the arguments
      # and never runs it, so the program only says it is a stand-in
      nix-update-script =
        {
          extraArgs ? [ ],
          attrPath ? null,
        }:
        [ (final.writeShellScript "nix-update" "echo 'nix-update: not in this package set' >&2; exit 1") ]
        ++ extraArgs;
      writeShellScriptBin =
        name: text:
        stdenv.mkDerivation {
          inherit name text;
          buildCommand = ''mkdir -p "$out/bin" && printf '#!/bin/sh\n%s\n' "$text" > "$out/bin/$name" && chmod +x "$out/bin/$name"'';
        };
      symlinkJoin =
        args@{ name, paths, ... }:
        stdenv.mkDerivation (
          removeAttrs args [ "paths" ]
          // {
            inherit paths;
            buildCommand = ''
              mkdir -p "$out"
              for p in $paths; do
                (cd "$p" && find . -type d) | while read -r d; do mkdir -p "$out/$d"; done
                (cd "$p" && find . ! -type d) | while read -r f; do ln -sf "$p/$f" "$out/$f"; done
              done
            '';
          }
        );

      # tools packages list as inputs; the fixture's builders never run them
      go = stub "go-1.23.4";
      nodejs = stub "nodejs-22.12.0";
      nodejs_22 = final.nodejs;
      yarn = stub "yarn-1.22.22";
      deno = stub "deno-2.1.4";
      cargo = stub "cargo-1.83.0";
      rustc = stub "rustc-1.83.0";
      makeWrapper = stub "make-wrapper-hook";
      pkg-config = stub "pkg-config-0.29.2";
      openssl = stub "openssl-3.3.2";
      cacert = stub "cacert-3.107";
      git = stub "git-2.47.1";
      sqlite = stub "sqlite-3.47.2";
    };
in
lib.fix (final: lib.foldl' (prev: overlay: prev // overlay final prev) (base final) overlays)
