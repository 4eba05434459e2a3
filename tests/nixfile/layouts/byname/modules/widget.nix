{ lib, config, ... }:
{
  options.services.widget.enable = lib.mkEnableOption "widget";
}
