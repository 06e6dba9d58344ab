"""`suivant init`: a site installed as a Debian service — its site file, data folder, first
administrator, systemd unit and, when the site runs Mosquitto, the broker's accounts."""
