{
  widget = ./widget.nix;
}
