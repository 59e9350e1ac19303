/// The configuration examples of GUIDE.md §2.1 and §6.3, verbatim.
public enum GuideExamples {
    public static let sipDefault = """
        # SIP Default Generic Configuration File
        image_version: P0S3-08-12-00
        proxy1_address: "192.0.2.10"
        proxy1_port: 5060
        proxy_register: 1
        timer_register_expires: 3600   ; seconds
        preferred_codec: g711ulaw
        dial_template: dialplan
        tftp_cfg_dir: "./"
        sntp_mode: unicast
        sntp_server: "192.0.2.1"
        time_zone: CET
        telnet_level: 2

        """
    public static let phoneFile = """
        # SIP000DBC50FCD4.cnf
        line1_name: "620"
        line1_authname: "620"
        line1_password: "secret"
        line1_displayname: "Front Desk"
        line1_shortname: "Desk"
        phone_label: "Reception"
        phone_password: "cisco"

        """
    public static let absoluteDST = """
        time_zone : PST
        dst_offset : 01/00
        dst_start_month : April
        dst_start_day : 1
        dst_start_time : 02/00
        dst_stop_month : October
        dst_stop_day : 1
        dst_stop_time : 02/00
        dst_stop_autoadjust : 1

        """
    public static let relativeDST = """
        time_zone: CET
        dst_offset: 1
        dst_start_month: March
        dst_start_day: ""
        dst_start_day_of_week: Sun
        dst_start_week_of_month: 8
        dst_start_time: 02
        dst_stop_month: Oct
        dst_stop_day: ""
        dst_stop_day_of_week: Sunday
        dst_stop_week_of_month: 8
        dst_stop_time: 3
        dst_auto_adjust: 1

        """

    /// GUIDE.md §5.6's example dial plan, verbatim.
    public static let dialPlan = """
        <DIALTEMPLATE>
          <!-- emergency -->
          <TEMPLATE MATCH="911" Timeout="0" User="Phone" Route="Emergency"/>
          <!-- 4-digit extensions -->
          <TEMPLATE MATCH="2..." Timeout="0"/>
          <!-- outside line: 9, second dial tone, then 7 or 10 digits -->
          <TEMPLATE MATCH="9,......." Timeout="3" User="Phone" Rewrite="1408......." Tone="Bellcore-Outside"/>
          <TEMPLATE MATCH="9,1.........." Timeout="0" User="Phone" Rewrite="1.........."/>
          <!-- international: wait 5 s after last digit -->
          <TEMPLATE MATCH="9011*" Timeout="5" User="Phone" Rewrite="011%1"/>
          <!-- anything else -->
          <TEMPLATE MATCH="*" Timeout="5"/>
        </DIALTEMPLATE>
        """
}
