# NixOS module: services.updater, the bot that keeps a Nix package repository's pins fresh.
#
#   imports = [ ./deploy/nixos/module.nix ];   # or: inputs.updater.nixosModules.default
#   services.updater = {
#     enable = true;
#     repositoryUrl = "https://github.com/OWNER/NUR.git";
#     environmentFile = "/run/secrets/updater.env";   # GITHUB_TOKEN=... etc., not in the store
#     settings.repository.github = "OWNER/NUR";
#   };
#
# mode = "timer" (default): a systemd timer runs `updater run --all` on `schedule`.
# mode = "service": `updater serve` runs continuously, scheduling itself from
#   settings.schedule.cron, with the status page, /metrics and POST /run on settings.serve.listen.
{
  config,
  lib,
  pkgs,
  utils,
  ...
}:

let
  inherit (lib)
    literalExpression
    mkDefault
    mkEnableOption
    mkIf
    mkOption
    optional
    optionals
    types
    ;

  cfg = config.services.updater;
  settingsFormat = pkgs.formats.toml { };
  configFile = settingsFormat.generate "updater.toml" cfg.settings;

  defaultStateDir = "/var/lib/updater";
  stateDirectoryName = lib.removePrefix "/var/lib/" cfg.stateDir;
  usesStateDirectory = lib.hasPrefix "/var/lib/" cfg.stateDir;

  globalArgs = [
    "--config"
    configFile
    "--repo"
    cfg.repository
    "--log-format"
    "json"
  ];
  shardArgs = optionals (cfg.shard != null) [
    "--shard"
    cfg.shard
  ];
  command =
    if cfg.mode == "service" then
      [ "serve" ] ++ shardArgs
    else
      [
        "run"
        "--all"
      ]
      ++ shardArgs;
  execStart = utils.escapeSystemdExecArgs (
    [ (lib.getExe cfg.package) ] ++ globalArgs ++ command ++ cfg.extraArgs
  );

  # Clone the package repository on first start; later starts leave it alone (the bot keeps
  # its own worktrees and never touches the checked-out branch).
  cloneScript = pkgs.writeShellScript "updater-clone" ''
    set -eu
    if [ ! -d ${lib.escapeShellArg cfg.repository}/.git ]; then
      ${lib.getExe pkgs.git} clone -- ${lib.escapeShellArg cfg.repositoryUrl} ${lib.escapeShellArg cfg.repository}
    fi
  '';
in
{
  options.services.updater = {
    enable = mkEnableOption "updater, the bot that keeps the pins of a Nix package repository fresh";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The updater package.";
    };

    mode = mkOption {
      type = types.enum [
        "timer"
        "service"
      ];
      default = "timer";
      description = ''
        `timer`: a systemd timer starts `updater run --all` on {option}`schedule`.
        `service`: `updater serve` runs continuously and schedules itself from
        `settings.schedule.cron`; it serves /healthz, /metrics, the status page and `POST /run`
        on `settings.serve.listen`.
      '';
    };

    schedule = mkOption {
      type = types.str;
      default = "hourly";
      example = "*-*-* 00/6:17:00";
      description = "When the timer runs (systemd OnCalendar syntax); mode `timer` only.";
    };

    randomizedDelaySec = mkOption {
      type = types.str;
      default = "15min";
      description = "Random delay added to each timer run, so installations spread their requests.";
    };

    settings = mkOption {
      type = settingsFormat.type;
      default = { };
      example = literalExpression ''
        {
          repository.github = "OWNER/NUR";
          github.app_id = 123456;
          github.app_installation_id = 7890123;
          packages."my-org-tool" = { mode = "branch"; branch = "main"; };
          nix.builders = "ssh://builder aarch64-linux";
        }
      '';
      description = ''
        The configuration, rendered to updater.toml. Every key of config/updater.toml in the
        updater repository is accepted; unknown keys are errors when the bot starts. Never put
        secrets here: the file lands in the world-readable Nix store. Use {option}`environmentFile`.
      '';
    };

    environmentFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = "/run/secrets/updater.env";
      description = ''
        A file of KEY=value lines with the secrets: GITHUB_TOKEN, or
        UPDATER_GITHUB_APP_PRIVATE_KEY together with `settings.github.app_id`;
        UPDATER_RUN_TOKEN for `POST /run`. Give a path as a string so that it stays out of the
        Nix store (sops-nix, agenix and the like produce such files).
      '';
    };

    stateDir = mkOption {
      type = types.path;
      default = defaultStateDir;
      description = "Where the repository checkout, the SQLite state and caches live.";
    };

    repository = mkOption {
      type = types.str;
      default = "${cfg.stateDir}/repo";
      defaultText = literalExpression ''"''${config.services.updater.stateDir}/repo"'';
      description = "The checkout of the package repository the bot works on.";
    };

    repositoryUrl = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "https://github.com/OWNER/NUR.git";
      description = "Cloned into {option}`repository` on first start when it is not a git checkout yet.";
    };

    shard = mkOption {
      type = types.nullOr (types.strMatching "[0-9]+/[0-9]+");
      default = null;
      example = "1/3";
      description = ''
        Work on one shard of the packages only (`--shard i/n`, split by a stable hash of the
        source group): n machines with shards 1/n .. n/n share the work without overlap.
      '';
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "--jobs" "4" ];
      description = "Further arguments after the subcommand.";
    };

    user = mkOption {
      type = types.str;
      default = "updater";
      description = "The user the bot runs as (created when left at the default).";
    };

    group = mkOption {
      type = types.str;
      default = "updater";
      description = "The group the bot runs as (created when left at the default).";
    };
  };

  config = mkIf cfg.enable {
    services.updater.settings = {
      # SQLite in the state directory, out of the repository checkout.
      state.url = mkDefault "sqlite:///${cfg.stateDir}/state.db";
    };

    users.users = mkIf (cfg.user == "updater") {
      updater = {
        isSystemUser = true;
        group = cfg.group;
        home = cfg.stateDir;
        description = "updater bot";
      };
    };
    users.groups = mkIf (cfg.group == "updater") { updater = { }; };

    systemd.tmpfiles.rules = optional (!usesStateDirectory) "d ${cfg.stateDir} 0750 ${cfg.user} ${cfg.group} - -";

    systemd.services.updater = {
      description = "updater: keeps the pins of a Nix package repository fresh";
      wants = [ "network-online.target" ];
      after = [
        "network-online.target"
        "nix-daemon.socket"
      ];
      wantedBy = optional (cfg.mode == "service") "multi-user.target";
      restartTriggers = optional (cfg.mode == "service") configFile;
      path = [
        config.nix.package
        pkgs.git
        pkgs.openssh
      ];
      environment = {
        HOME = cfg.stateDir;
        NIX_REMOTE = "daemon";
        NIX_PATH = lib.concatStringsSep ":" config.nix.nixPath;
      };
      serviceConfig = {
        Type = if cfg.mode == "service" then "simple" else "oneshot";
        User = cfg.user;
        Group = cfg.group;
        WorkingDirectory = cfg.stateDir;
        EnvironmentFile = optional (cfg.environmentFile != null) cfg.environmentFile;
        ExecStartPre = optional (cfg.repositoryUrl != null) cloneScript;
        ExecStart = execStart;
        # SIGTERM to the bot only: it finishes or abandons the package in progress cleanly and
        # stops its own children.
        KillMode = "mixed";
        TimeoutStopSec = 300;
        Restart = if cfg.mode == "service" then "on-failure" else "no";
        RestartSec = 30;

        StateDirectory = mkIf usesStateDirectory stateDirectoryName;
        StateDirectoryMode = "0750";
        # "-": the checkout may not exist before the first clone.
        ReadWritePaths = [
          cfg.stateDir
          "-${cfg.repository}"
        ];
        NoNewPrivileges = true;
        CapabilityBoundingSet = "";
        AmbientCapabilities = "";
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        ProtectProc = "invisible";
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        RemoveIPC = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
        SystemCallErrorNumber = "EPERM";
        UMask = "0027";
      };
    };

    systemd.timers.updater = mkIf (cfg.mode == "timer") {
      description = "updater: periodic run over every package";
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.schedule;
        RandomizedDelaySec = cfg.randomizedDelaySec;
        Persistent = true;
      };
    };
  };
}
