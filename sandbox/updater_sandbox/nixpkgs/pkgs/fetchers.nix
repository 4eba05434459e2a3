# Fetchers under nixpkgs' names and arguments. Each is a real fixed-output derivation whose
# builder downloads from the (local) forge, so Nix itself checks the hash: a wrong one fails
# with "hash mismatch in fixed-output derivation ... got: ...".
#
# Hash conventions follow nixpkgs: archive fetchers (fetchzip, fetchFromGitHub, fetchFromGitea,
# fetchFromGitLab, fetchFromTangled without forceFetchGit) hash the unpacked tree without its top
# folder; git fetchers hash the checkout without .git; fetchurl hashes the file's bytes.
{ lib, system, hostPath }:
let
  inherit (builtins) baseNameOf match isString;

  hashAttrs = import ./hashes.nix { inherit lib; };

  fod =
    {
      name,
      script,
      recursive,
      hashArgs,
      env ? { },
      passthru ? { },
      meta ? { },
      position ? null,
    }:
    let
      drv = derivation (
        {
          inherit name system;
          builder = "/bin/sh";
          args = [ script ];
          common = ../builders/common.sh;
          PATH = hostPath;
          # the world's insteadOf rules (see docs/SANDBOX.md)
          impureEnvVars = [ "GIT_CONFIG_GLOBAL" ];
          outputHashMode = if recursive then "recursive" else "flat";
          preferLocalBuild = true;
        }
        // hashAttrs hashArgs
        // env
      );
      fullMeta =
        meta
        // lib.optionalAttrs (position != null) { position = "${position.file}:${toString position.line}"; };
    in
    drv // passthru // { meta = fullMeta; inherit passthru; overrideAttrs = f: drv // (f drv); };

  pickHash = args: {
    hash = args.hash or null;
    sha256 = args.sha256 or null;
    sha512 = args.sha512 or null;
    outputHash = args.outputHash or null;
    outputHashAlgo = args.outputHashAlgo or null;
  };

  posOf =
    args:
    if args ? tag then
      builtins.unsafeGetAttrPos "tag" args
    else if args ? rev then
      builtins.unsafeGetAttrPos "rev" args
    else
      builtins.unsafeGetAttrPos "url" args;

  urlsOf = args: if args ? urls then args.urls else [ args.url ];

  fetchurl =
    args@{
      url ? null,
      urls ? null,
      name ? baseNameOf (toString (lib.head (urlsOf args))),
      executable ? false,
      recursiveHash ? false,
      postFetch ? "",
      passthru ? { },
      meta ? { },
      ...
    }:
    fod {
      inherit name passthru meta;
      script = ../builders/fetchurl.sh;
      recursive = executable || recursiveHash;
      hashArgs = pickHash args // { what = "fetchurl ${toString (urlsOf args)}"; };
      position = builtins.unsafeGetAttrPos "url" args;
      env = {
        urls = urlsOf args;
        inherit executable postFetch;
      };
    }
    // {
      url = lib.head (urlsOf args);
    };

  fetchzip =
    args@{
      url ? null,
      urls ? null,
      name ? "source",
      stripRoot ? true,
      extension ? null,
      postFetch ? "",
      extraPostFetch ? "",
      passthru ? { },
      meta ? { },
      position ? builtins.unsafeGetAttrPos "url" args,
      ...
    }:
    let
      first = toString (lib.head (urlsOf args));
      ext =
        if extension != null then
          extension
        else if lib.hasSuffix ".zip" first then
          "zip"
        else
          "tar";
    in
    fod {
      inherit name passthru meta position;
      script = ../builders/fetchzip.sh;
      recursive = true;
      hashArgs = pickHash args // { what = "fetchzip ${first}"; };
      env = {
        urls = urlsOf args;
        extension = ext;
        inherit stripRoot;
        postFetch = postFetch + extraPostFetch;
      };
    }
    // {
      url = first;
    };

  # nixpkgs names a plain fetchgit by the repository and a short rev
  urlToName =
    url: rev:
    let
      base = lib.removeSuffix ".git" (baseNameOf (lib.removeSuffix "/" url));
      short = if match "[0-9a-f]{40}" rev != null then "-" + builtins.substring 0 7 rev else "";
    in
    lib.replaceStrings [ "@" ] [ "" ] "${base}${short}";

  fetchgit =
    args@{
      url,
      rev ? null,
      tag ? null,
      name ? urlToName url (lib.revOrTag rev tag),
      leaveDotGit ? deepClone,
      deepClone ? false,
      fetchSubmodules ? true,
      fetchLFS ? false,
      sparseCheckout ? [ ],
      postFetch ? "",
      passthru ? { },
      meta ? { },
      position ? posOf args,
      ...
    }:
    let
      rev' = if tag != null then "refs/tags/${tag}" else if rev != null then rev else "HEAD";
    in
    fod {
      inherit name passthru meta position;
      script = ../builders/fetchgit.sh;
      recursive = true;
      hashArgs = pickHash args // { what = "fetchgit ${url}"; };
      env = {
        inherit url leaveDotGit deepClone fetchSubmodules postFetch;
        rev = rev';
        tag = if tag != null then tag else "";
      };
    }
    // {
      inherit url tag;
      rev = rev';
    };

  # the forge-specific fetchers: an archive download unless git features are asked for
  forgeFetcher =
    {
      fetcherName,
      baseUrl,
      archiveUrl,
      gitUrl,
      args,
      extension ? null,
    }:
    let
      rev = args.rev or null;
      tag = args.tag or null;
      useGit =
        (args.forceFetchGit or false)
        || (args.fetchSubmodules or false)
        || (args.leaveDotGit or false)
        || (args.deepClone or false)
        || (args.sparseCheckout or [ ]) != [ ];
      revWithTag = if tag != null then "refs/tags/${tag}" else rev;
      common = pickHash args // {
        name = args.name or "source";
        position = posOf args;
        meta = (args.meta or { }) // { homepage = baseUrl; };
        passthru = (args.passthru or { }) // { gitRepoUrl = gitUrl; };
      };
      extra = removeAttrs args [
        "owner"
        "repo"
        "domain"
        "githubBase"
        "forceFetchGit"
        "rev"
        "tag"
        "hash"
        "sha256"
        "name"
        "meta"
        "passthru"
        "fetchSubmodules"
        "leaveDotGit"
        "deepClone"
        "private"
        "group"
      ];
      result =
        if useGit then
          fetchgit (
            common
            // {
              url = gitUrl;
              inherit rev tag;
              fetchSubmodules = args.fetchSubmodules or false;
              leaveDotGit = args.leaveDotGit or false;
              deepClone = args.deepClone or false;
            }
          )
        else
          fetchzip (common // extra // { url = archiveUrl revWithTag; inherit extension; });
    in
    assert lib.assertMsg (lib.xor (tag != null) (rev != null))
      "${fetcherName} requires one of either `rev` or `tag` to be provided (not both).";
    result
    // {
      inherit (args) owner repo;
      inherit rev tag;
    };

  fetchFromGitHub =
    args@{
      owner,
      repo,
      githubBase ? "github.com",
      ...
    }:
    let
      baseUrl = "https://${githubBase}/${owner}/${repo}";
    in
    forgeFetcher {
      fetcherName = "fetchFromGitHub";
      inherit args baseUrl;
      gitUrl = "${baseUrl}.git";
      archiveUrl = rev: "${baseUrl}/archive/${rev}.tar.gz";
    };

  fetchFromTangled =
    args@{
      domain ? "tangled.org",
      owner,
      repo,
      ...
    }:
    let
      baseUrl = "https://${domain}/${owner}/${repo}";
    in
    forgeFetcher {
      fetcherName = "fetchFromTangled";
      inherit args baseUrl;
      gitUrl = baseUrl;
      archiveUrl = rev: "${baseUrl}/archive/${rev}";
      extension = "tar.gz";
    }
    // {
      inherit domain;
    };

  fetchFromGitea =
    args@{
      domain,
      owner,
      repo,
      ...
    }:
    let
      baseUrl = "https://${domain}/${owner}/${repo}";
    in
    forgeFetcher {
      fetcherName = "fetchFromGitea";
      inherit args baseUrl;
      gitUrl = "${baseUrl}.git";
      archiveUrl = rev: "${baseUrl}/archive/${rev}.tar.gz";
    };

  fetchFromGitLab =
    args@{
      domain ? "gitlab.com",
      owner,
      repo,
      group ? null,
      ...
    }:
    let
      path = lib.concatStringsSep "/" (lib.optional (group != null) group ++ [ owner repo ]);
      baseUrl = "https://${domain}/${path}";
    in
    forgeFetcher {
      fetcherName = "fetchFromGitLab";
      inherit args baseUrl;
      gitUrl = "${baseUrl}.git";
      # nixpkgs downloads through the API; the fixture uses the web archive route the forge serves
      archiveUrl = rev: "${baseUrl}/-/archive/${rev}/${repo}-${lib.replaceStrings [ "/" ] [ "-" ] rev}.tar.gz";
    };
in
{
  inherit
    fetchurl
    fetchzip
    fetchgit
    fetchFromGitHub
    fetchFromTangled
    fetchFromGitea
    fetchFromGitLab
    ;
  fetchFromCodeberg = args: fetchFromGitea ({ domain = "codeberg.org"; } // args);
  fetchtarball = fetchzip;
}
