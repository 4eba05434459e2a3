# updater as a Nix package, built from this repository's source with nixpkgs' Python packages.
#   nix-build -E 'with import <nixpkgs> { }; callPackage ./deploy/nixos/package.nix { }'
# or through the flake beside this file: nix build ./deploy/nixos#updater
{
  lib,
  python3Packages,
  git,
  nix,
  openssh,
  # The repository root; only the files the Python build needs are taken from it, so editing
  # tests, docs or the test world (sandbox/) does not rebuild the package.
  src ? lib.fileset.toSource {
    root = ../..;
    fileset = lib.fileset.unions [
      ../../pyproject.toml
      ../../setup.py
      ../../README.md
      ../../updater
    ];
  },
}:

python3Packages.buildPythonApplication {
  pname = "updater";
  version = "0.1.0";
  pyproject = true;
  inherit src;

  build-system = with python3Packages; [
    setuptools
    wheel
  ];

  dependencies =
    with python3Packages;
    [
      alembic
      apscheduler
      click
      gitpython
      httpx
      prometheus-client
      pydantic
      pygithub
      pyjwt
      rich
      sqlalchemy
      structlog
      tenacity
      tree-sitter
      # the nix grammar that reads nixfmt's trailing commas (updater/nixfile/parse.py)
      tree-sitter-language-pack
    ]
    ++ pyjwt.optional-dependencies.crypto;

  optional-dependencies = {
    postgres = [ python3Packages.psycopg ];
  };

  # nixpkgs moves its Python packages forward on its own schedule and versions its tree-sitter
  # grammars as 0+unstableYYYYMMDD: pyproject's lower bounds must not reject them.
  pythonRelaxDeps = true;

  # The bot runs git and Nix itself; use the ones it was built with unless PATH says otherwise.
  makeWrapperArgs = [
    "--suffix"
    "PATH"
    ":"
    (lib.makeBinPath [
      git
      nix
      openssh
    ])
  ];

  # The test suite needs the local world (a forge, git servers, a Nix store it may write to);
  # it runs in the repository's CI, not in the Nix build sandbox.
  doCheck = false;
  pythonImportsCheck = [
    "updater"
    "updater.cli"
  ];

  meta = {
    description = "Keeps the pins of a Nix package repository fresh and opens pull requests";
    license = lib.licenses.mit;
    mainProgram = "updater";
    platforms = lib.platforms.unix;
  };
}
