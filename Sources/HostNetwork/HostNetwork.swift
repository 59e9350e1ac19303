/// Facts about the host's network and the ICMP tools. See the files beside this one.
public enum HostNetwork {}
