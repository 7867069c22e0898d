"""The one translation catalogue: every user-visible string, in English and 中文.

``t(key, lang, **fmt)`` looks a key up; an unknown key is returned as is (and shows up in
review) rather than raising on a wall screen.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")

CATALOGUE: dict[str, tuple[str, str]] = {
    "app_title": ("PortTwin", "港口数字孪生"),
    "one_map": ("One map", "一张图"),
    "replay_marinecadastre": ("Replay of NOAA MarineCadastre AIS, 2020-06-30",
                              "回放：NOAA MarineCadastre AIS 数据，2020-06-30"),
    "replay_pass": ("pass {n}", "第 {n} 轮"),
    "replay_speed": ("×{speed:g}", "×{speed:g}"),
    "port_time": ("port time", "港口时间"),
    "language": ("Language", "语言"),
    # KPI strip
    "kpi_vessels": ("Vessels in area", "区域内船舶"),
    "underway": ("Underway", "航行"),
    "at_anchor": ("At anchor", "锚泊"),
    "moored": ("Moored", "靠泊"),
    "stopped": ("Stopped", "停止"),
    "unknown": ("Unknown", "未知"),
    "kpi_by_type": ("By type", "按船型"),
    # ship-type groups
    "cargo": ("Cargo", "货船"),
    "tanker": ("Tanker", "油轮"),
    "passenger": ("Passenger", "客船"),
    "tug": ("Tug / tow", "拖船"),
    "service": ("Service", "工作船"),
    "fishing": ("Fishing", "渔船"),
    "pleasure": ("Pleasure / sailing", "游艇/帆船"),
    "hsc": ("High-speed craft", "高速船"),
    "other": ("Other", "其他"),
    "sar": ("SAR aircraft", "搜救航空器"),
    # feed health
    "feed_health": ("Feed health", "数据源状态"),
    "msg_per_s": ("msg/s", "条/秒"),
    "last_msg": ("last message {age}", "最新消息 {age}"),
    "rejected": ("rejected {n}", "拒收 {n}"),
    "state_live": ("live", "正常"),
    "state_stale": ("stale", "过时"),
    "state_waiting": ("waiting", "等待"),
    "state_reconnecting": ("reconnecting", "重连中"),
    "state_failed": ("failed", "故障"),
    "connection_since": ("since {age}", "已 {age}"),
    "state_none": ("no source", "无数据源"),
    "state_computed": ("computed", "计算"),
    "radar_simulated": ("VTS radar — SIMULATED over the AIS replay",
                        "VTS 雷达——基于 AIS 回放的模拟数据"),
    "radar_none": ("VTS radar", "VTS 雷达"),
    "hydromet_none": ("Observed water level, wind, visibility", "实测水位、风、能见度"),
    "tide_predicted": ("Tide predicted from NOAA harmonics", "潮汐预报（NOAA 调和常数）"),
    "berth_plan_sample": ("Berth plan — SAMPLE derived from real calls",
                          "泊位计划——由真实靠泊推导的样例"),
    "berth_plan_none": ("Berth plan", "泊位计划"),
    # a feed configured but unable to run (its reason is shown beside it)
    "state_error": ("cannot run", "无法运行"),
    "ais_none": ("AIS (no feed or recording configured for this port)",
                 "AIS（本港未配置数据源或回放）"),
    "tide_no_harmonics": ("Tide prediction: stations without harmonics",
                          "潮汐预报：缺少调和常数的潮位站"),
    "throughput_monthly": ("Monthly TEU statistics", "月度集装箱吞吐量统计"),
    "simulated": ("simulated", "模拟"),
    # hydro-met panel
    "hydromet_title": ("Water & weather", "水文气象"),
    "hm_level": ("{v:+.2f} m {k}", "{v:+.2f} 米 {k}"),
    "hm_obs": ("obs.", "实测"),
    "hm_pred": ("pred.", "预报"),
    "hm_wind": ("wind {v:.0f} kn", "风 {v:.0f} 节"),
    "hm_wind_none": ("wind —", "风 —"),
    "hm_vis": ("vis. {v:.1f} nm", "能见度 {v:.1f} 海里"),
    "hm_vis_none": ("vis. —", "能见度 —"),
    "hm_curve": ("Tide at {name}, ±12 h above MLLW: predicted (line), observed (dots)",
                 "{name} 潮位（±12 小时，MLLW 以上）：预报（线）、实测（点）"),
    "seconds_ago": ("{s:.0f} s ago", "{s:.0f} 秒前"),
    "minutes_ago": ("{m:.0f} min ago", "{m:.0f} 分钟前"),
    "never": ("never", "无"),
    # map controls
    "colour_by": ("Colour by", "着色"),
    "by_type": ("Ship type", "船型"),
    "by_status": ("Nav status", "航行状态"),
    "map_note": ("Vessels to scale from AIS length and beam; dots where dimensions are unknown. "
                 "Magenta rings: radar tracks without AIS. Blue dots: tide stations "
                 "(level above MLLW, * predicted).",
                 "船舶按 AIS 船长船宽等比例绘制；无尺度数据的船以圆点表示。"
                 "洋红色圆圈：无 AIS 的雷达目标。蓝点：潮位站（MLLW 以上水位，* 为预报）。"),
    # vessel card
    "card_title": ("Vessel", "船舶"),
    "close": ("Close", "关闭"),
    "mmsi": ("MMSI", "MMSI"),
    "imo": ("IMO", "IMO"),
    "callsign": ("Call sign", "呼号"),
    "ship_type": ("Type", "船型"),
    "nav_status": ("Nav status", "航行状态"),
    "activity": ("Activity", "动态"),
    "sog": ("Speed", "航速"),
    "cog": ("Course", "航向"),
    "heading": ("Heading", "船首向"),
    "position": ("Position", "位置"),
    "dimensions": ("Length × beam", "船长 × 船宽"),
    "draught": ("Draught", "吃水"),
    "destination": ("Destination", "目的港"),
    "eta": ("ETA", "预计到达"),
    "last_seen": ("Last report", "最近报告"),
    "ais_class": ("AIS class", "AIS 类别"),
    "source": ("Source", "来源"),
    "not_available": ("—", "—"),
    "unnamed": ("(no name)", "（无船名）"),
    "vessel_gone": ("This vessel has left the live picture.", "该船已离开实时画面。"),
    "not_live": ("Not in the live picture: what the port last stored of it.",
                 "不在实时画面中：以下为港口最近存储的信息。"),
    "last_position": ("Last stored position", "最近存储位置"),
    "never_seen": ("no position stored", "无存储位置"),
    # port panel and port calls
    "port_now": ("Port now", "港口实时"),
    "in_port": ("In port area", "在港"),
    "at_berth_now": ("At berth", "在泊"),
    "waiting_now": ("Waiting at anchor", "锚地待泊"),
    "berths_occupied": ("Berths occupied", "泊位占用"),
    "queue_longest": ("longest wait {who}: {h} h", "最长等待 {who}：{h} 小时"),
    "history_title": ("Port calls, {start} – {end}", "港口挂靠统计，{start} – {end}"),
    "history_source": ("history: {name} (real AIS tracks)", "历史：{name}（真实 AIS 轨迹）"),
    "kpi_calls": ("Calls", "挂靠艘次"),
    "kpi_arrivals_day": ("Arrivals / day", "日均到港"),
    "kpi_wait_median": ("Median wait", "等泊时间中位数"),
    "kpi_wait_p90": ("90th pct wait", "等泊时间 P90"),
    "kpi_berth_median": ("Median at berth", "在泊时间中位数"),
    "kpi_ship_days": ("Ship-days / call", "平均每艘次在港停时"),
    "top_occupancy": ("Busiest berths (occupancy)", "泊位占用率前列"),
    "hours": ("{h:.1f} h", "{h:.1f} 小时"),
    "days": ("{d:.2f} d", "{d:.2f} 天"),
    "no_history": ("No history loaded", "未加载历史数据"),
    "port_call": ("Port call", "港口挂靠"),
    "stage": ("Stage", "阶段"),
    "stage_in_port_area": ("In port area", "进入港区"),
    "stage_at_anchorage": ("Waiting at anchorage", "锚地等待"),
    "stage_at_berth": ("At berth", "靠泊"),
    "stage_stopped": ("Stopped (no known place)", "停留（非已知泊位/锚地）"),
    "stage_under_way": ("Under way in port", "港内航行"),
    "stage_departed": ("Departed", "已离港"),
    "arrived_port_area": ("Arrived in port area", "抵达港区"),
    "arrival_not_seen": ("{t} (already there)", "{t}（此前已在港）"),
    "place_berth": ("Berth", "泊位"),
    "place_anchorage": ("Anchorage", "锚地"),
    "time_here": ("Time there so far", "已停留"),
    "waiting_so_far": ("Waiting so far", "已等待"),
    "in_port_so_far": ("In port so far", "在港已"),
    "not_in_port": ("Not in a port call", "不在挂靠中"),
    # nav status (ITU-R M.1371)
    "ns_under_way_engine": ("Under way using engine", "机动航行"),
    "ns_at_anchor": ("At anchor", "锚泊"),
    "ns_not_under_command": ("Not under command", "失控"),
    "ns_restricted_manoeuvrability": ("Restricted manoeuvrability", "操纵受限"),
    "ns_constrained_by_draught": ("Constrained by draught", "吃水受限"),
    "ns_moored": ("Moored", "系泊"),
    "ns_aground": ("Aground", "搁浅"),
    "ns_fishing": ("Engaged in fishing", "从事捕捞"),
    "ns_under_way_sailing": ("Under way sailing", "帆船航行"),
    "ns_reserved_hsc": ("Reserved (HSC)", "保留（高速船）"),
    "ns_reserved_wig": ("Reserved (WIG)", "保留（地效翼船）"),
    "ns_towing_astern": ("Towing astern", "尾拖"),
    "ns_pushing_ahead": ("Pushing ahead / towing alongside", "顶推/旁拖"),
    "ns_reserved": ("Reserved", "保留"),
    "ns_ais_sart": ("AIS-SART / MOB / EPIRB", "AIS-SART/落水/示位标"),
    "ns_none": ("Not reported", "未报告"),
    # pages and navigation
    "nav_wall": ("Wall", "指挥大屏"),
    "nav_vessels": ("Vessels", "船舶查询"),
    "nav_reports": ("Reports", "统计报表"),
    "nav_playback": ("Playback", "历史回放"),
    # vessels page
    "v_search": ("Search name, MMSI, IMO or call sign", "搜索船名、MMSI、IMO 或呼号"),
    "v_status_all": ("All", "全部"),
    "v_status_in_port": ("In port", "在港"),
    "v_status_at_anchor": ("At anchor", "锚泊"),
    "v_status_at_berth": ("At berth", "靠泊"),
    "v_status_expected": ("Expected", "预抵"),
    "v_col_name": ("Name", "船名"),
    "v_col_place": ("Berth / anchorage", "泊位/锚地"),
    "v_none": ("No vessel matches", "没有符合条件的船舶"),
    "v_pick": ("Pick a vessel in the list to see where it is in its port call.",
               "在列表中选择一艘船，查看其港口挂靠进程。"),
    "export_csv": ("Export CSV", "导出 CSV"),
    "export_geojson": ("Export GeoJSON", "导出 GeoJSON"),
    "stage_expected": ("Expected (berth plan)", "预抵（泊位计划）"),
    "stage_expected_late": ("Expected — {m} min past its ETA", "预计到港 — 已超过 ETA {m} 分钟"),
    "s211_title": ("Port-call timestamps (IHO S-211)", "挂靠时间节点（IHO S-211）"),
    "s211_ata_port": ("Arrived in port area", "抵达港区"),
    "s211_ata_anch": ("Arrived at anchorage", "抵达锚地"),
    "s211_atd_anch": ("Left anchorage", "离开锚地"),
    "s211_atb": ("Berthed (all fast)", "靠泊（系缆完毕）"),
    "s211_atd_berth": ("Left berth", "离泊"),
    "s211_atd_port": ("Left port area", "离开港区"),
    "already_there": ("(already there when first seen)", "（首次观测时已在港）"),
    "co2_title": ("CO₂ of this port call so far", "本次挂靠二氧化碳排放（至今）"),
    "co2_value": ("{v} t CO₂", "{v} 吨 CO₂"),
    "co2_unknown": ("not estimated: ship type or size unknown", "未估算：船型或尺度未知"),
    "estimate_label": ("ESTIMATE · IMO 4th GHG method", "估算值 · IMO 第四次温室气体研究方法"),
    "at_berth_conditions": ("Water and wind at its berth", "泊位水文气象"),
    "berth_depth": ("Berth depth (chart datum)", "泊位水深（海图基准面）"),
    "water_level": ("Water level", "潮位"),
    "ukc": ("Under-keel clearance", "富余水深"),
    "wind": ("Wind", "风速"),
    "no_observation": ("no observation", "无观测"),
    "plan_title": ("Berth plan", "泊位计划"),
    "etd": ("ETD", "预计离港"),
    "track_note": ("Map: the last 24 h ({n} positions).", "地图：最近 24 小时轨迹（{n} 个位置）。"),
    # wall extras
    "berth_timeline": ("Berth timeline: occupied (solid) · planned (outline)",
                       "泊位时间线：实际占用（实心）· 计划（空心）"),
    "anchorage_queue": ("Anchorage queue", "锚地排队"),
    "queue_empty": ("Nobody waiting", "无船等待"),
    "stale_banner": ("DATA STALE — {what} silent for {age}", "数据过时——{what} 已 {age} 无数据"),
    "link_banner": ("FEED DOWN — {what} reconnecting since {age}",
                    "数据源中断——{what} 重连中，已 {age}"),
    # reports page
    "r_source": ("Data", "数据"),
    "r_period": ("Period", "周期"),
    "r_day": ("Day", "日"),
    "r_week": ("Week", "周"),
    "r_month": ("Month", "月"),
    "r_date": ("Date", "日期"),
    "r_pick_date": ("Pick a date", "选择日期"),
    # AG Grid's own words (its localeText keys), so the grids speak the page's language
    "grid_page": ("Page", "页"), "grid_of": ("of", "/"), "grid_to": ("to", "至"),
    "grid_more": ("more", "更多"), "grid_page_size": ("Page size:", "每页行数："),
    "grid_first": ("First page", "首页"), "grid_previous": ("Previous page", "上一页"),
    "grid_next": ("Next page", "下一页"), "grid_last": ("Last page", "末页"),
    "grid_loading": ("Loading…", "加载中…"),
    "r_period_label": ("{start} – {end} ({tz})", "{start} – {end}（{tz}）"),
    "r_vs_prev": ("vs previous", "环比"),
    "r_vs_yoy": ("year on year", "同比"),
    "r_no_data": ("no data", "无数据"),
    "kpi_arrivals": ("Arrivals", "到港艘次"),
    "kpi_vessels_in_port": ("Vessels in port (average)", "平均在港船舶"),
    "kpi_waiting_median_h": ("Median waiting for berth", "等泊时间中位数"),
    "kpi_berth_time_median_h": ("Median time at berth", "在泊时间中位数"),
    "kpi_terminal_occupancy": ("Terminal berth occupancy", "码头泊位占用率"),
    "kpi_co2_t": ("CO₂ (estimate)", "二氧化碳（估算）"),
    "kpi_alerts": ("Alerts", "告警"),
    "r_occupancy_terminal": ("Berth occupancy by terminal", "各码头泊位占用率"),
    "r_partial": ("Data for {pct} of this period ({have:.1f} of {days:.0f} days): its figures are "
                  "partial, and changes are stated only between periods with complete data.",
                  "本期仅 {pct} 时段有数据（{days:.0f} 天中的 {have:.1f} 天）：各项指标不完整，"
                  "仅在两期数据均完整时给出同比、环比。"),
    "r_daily": ("Day by day", "逐日趋势"),
    "wait_at_least": ("at anchor when the data began: waiting at least this long",
                      "数据开始时已在锚地：至少已等待这么久"),
    "r_col_day": ("Day", "日期"),
    "r_day_partial": ("lighter: a day with partial data", "浅色：该日数据不完整"),
    "r_forecast": ("Forecast vs actual arrivals", "到港预测与实际"),
    "r_forecast_summary": ("{n} hours forecast: {expected} arrivals expected, {actual} "
                           "began; off by {mae} an hour on average; {held} of the hours "
                           "inside the 80 % band.",
                           "共预测 {n} 小时：预计到港 {expected} 艘次，实际 {actual} 艘次；"
                           "平均每小时相差 {mae}；{held} 的小时落在 80% 区间内。"),
    "r_forecast_note": ("Each hour: the last forecast made before it began (on average "
                        "{lead} min before), against the berth and anchorage stays that "
                        "began in it.",
                        "每小时取其开始前最后一次预测（平均提前 {lead} 分钟），"
                        "与该小时内开始的靠泊和锚泊比较。"),
    "r_forecast_none": ("No forecast was recorded for this period: the twin records its "
                        "forecast of the next 24 h every hour while it runs (of a looping "
                        "replay, only the hours before the recording starts again).",
                        "本时段没有预测记录：数字孪生运行时每小时记录一次未来 24 小时的预测"
                        "（循环回放只记录本轮回放结束前的小时）。"),
    "r_col_hour": ("Hour", "小时"),
    "r_col_expected": ("Expected", "预计"),
    "r_col_band": ("80 % band", "80% 区间"),
    "r_col_actual": ("Began", "实际"),
    "r_occupancy_berth": ("Busiest berths", "占用率最高的泊位"),
    # the title of any port's series: its publisher from port.toml [throughput] source
    "r_teu_by": ("Container throughput by month (TEU, {source})",
                 "集装箱月吞吐量（TEU，{source}）"),
    "r_teu_plain": ("Container throughput by month (TEU)", "集装箱月吞吐量（TEU）"),
    "r_teu_outside": ("The published figures run {first} … {last}: this period ({month}) is "
                      "outside them.", "公布数据覆盖 {first} … {last}：本期（{month}）不在其中。"),
    "r_alerts_by_rule": ("Alerts by rule", "各类告警"),
    "r_scorecard": ("Port performance scorecard (口岸综合绩效评价)", "口岸综合绩效评价"),
    "r_score_total": ("Overall", "综合得分"),
    "r_score_capacity": ("Capacity use", "能力利用"),
    "r_score_efficiency": ("Efficiency", "运行效率"),
    "r_score_safety": ("Safety", "安全"),
    "r_score_service": ("Service", "服务"),
    "r_weight": ("weight {w:.0%}", "权重 {w:.0%}"),
    "r_scorecard_note": ("Indicators, scoring bands and weights: docs/definitions.md "
                         "(our operationalisation of the guidance's four dimensions).",
                         "指标、评分区间与权重见 docs/definitions.md（对指导文件四个维度的具体化）。"),
    "r_co2_note": ("CO₂ estimated for {n} of {m} calls (type and size known).",
                   "已对 {m} 艘次中的 {n} 艘次估算 CO₂（船型与尺度已知）。"),
    "r_export_pdf": ("Export PDF", "导出 PDF"),
    "r_export_xlsx": ("Export Excel", "导出 Excel"),
    "r_building": ("Building the report…", "正在生成报表…"),
    "r_col_terminal": ("Terminal", "码头"),
    "r_col_berth": ("Berth", "泊位"),
    "r_col_berths": ("Berths", "泊位数"),
    "r_col_occupancy": ("Occupancy", "占用率"),
    "r_col_visits": ("Visits", "靠泊次数"),
    "r_col_rule": ("Rule", "规则"),
    "r_col_count": ("Alerts", "告警数"),
    "r_col_month": ("Month", "月份"),
    "r_col_teu": ("TEU", "标准箱"),
    "r_col_yoy": ("YoY", "同比"),
    "r_title": ("Port report", "港口统计报表"),
    "r_source_history": ("History: {name} (real AIS)", "历史：{name}（真实 AIS）"),
    "r_source_live": ("Live twin", "实时孪生"),
    # playback page
    "p_play": ("Play", "播放"),
    "p_pause": ("Pause", "暂停"),
    "p_speed": ("Speed", "倍速"),
    "p_state": ("{vessels} vessels · {berths} berths occupied · {alerts} alerts open",
                "{vessels} 艘船 · {berths} 个泊位占用 · {alerts} 条告警"),
    "p_note": ("Replays stored history: tracks animated in the browser, one window of data "
               "per hour of history.", "回放存储的历史数据：轨迹在浏览器中动画播放，每小时历史数据加载一次。"),
    # alerts
    "alerts": ("Alerts", "告警"),
    "alerts_none": ("No open alerts", "无未处理告警"),
    "alerts_open": ("{n} open · {u} to acknowledge", "{n} 条未关闭 · {u} 条待确认"),
    "alert_ack": ("Acknowledge", "确认"),
    "alert_acked": ("acknowledged by {who}", "已由 {who} 确认"),
    "alert_silence": ("Silence {m} min", "静默 {m} 分钟"),
    "alert_silenced": ("silenced", "已静默"),
    "alert_go": ("Show on map", "在地图上显示"),
    "alert_operator": ("Operator", "值班员"),
    "alert_comment": ("Comment", "备注"),
    "alert_need_operator": ("Enter the operator's name to acknowledge", "确认前请填写值班员姓名"),
    "alert_gone": ("That alert is no longer open — the list is redrawn", "该告警已不在列表中，列表已刷新"),
    "alert_not_stored": ("Not stored — the history store did not answer; try again",
                         "未保存——历史库无响应，请重试"),
    "alert_done_ack": ("Acknowledged: {what}", "已确认：{what}"),
    "alert_done_silence": ("{vessel} silenced for {m} min", "{vessel} 已静默 {m} 分钟"),
    "alert_repeats": ("×{n}", "×{n}"),
    "alert_sectors": ("Sectors", "责任区"),
    "all_sectors": ("All sectors", "全部责任区"),
    "alarm": ("Alarm", "警报"),
    "warning": ("Warning", "警告"),
    "caution": ("Caution", "注意"),
    "rule_collision_risk": ("Collision risk", "碰撞危险"),
    "rule_close_quarters": ("Close quarters", "近距离会遇"),
    "rule_zone_entry": ("Restricted zone entry", "闯入限制区"),
    "rule_zone_speed": ("Speeding in zone", "区域超速"),
    "rule_unauthorised_anchoring": ("Anchoring outside anchorage", "非锚地锚泊"),
    "rule_anchor_drag": ("Anchor drag", "走锚"),
    "rule_ais_gap": ("AIS gone dark", "AIS 信号中断"),
    "rule_position_jump": ("Position jump", "位置跳变"),
    "rule_identity": ("Identity conflict", "身份冲突"),
    "rule_distress": ("Distress", "遇险"),
    "rule_unidentified_track": ("Unidentified track in area", "区域内不明目标"),
    "rule_ukc": ("Under-keel clearance", "富余水深不足"),
    "rule_wind_limit": ("Wind above limit", "风速超限"),
    "rule_low_visibility": ("Low visibility", "能见度不良"),
    "rule_extreme_water": ("Extreme water level", "极端水位"),
    "rule_late_arrival": ("Late arrival", "迟到"),
    "rule_early_arrival": ("Early arrival", "早到"),
    "rule_overstay": ("Overstay at berth", "超时靠泊"),
    "rule_berth_conflict": ("Berth conflict", "泊位冲突"),
    "alert_dark": ("radar track without AIS in {zone} {sim}", "{zone} 内无 AIS 的雷达目标 {sim}"),
    "alert_ukc": ("UKC {ukc} m < {limit} m (draught {draught} m, water {level} m {k})",
                  "富余水深 {ukc} 米 < {limit} 米（吃水 {draught} 米，水位 {level} 米 {k}）"),
    "alert_wind": ("{v} kn, limit {limit} kn", "{v} 节，限值 {limit} 节"),
    "alert_vis": ("{v} nm, limit {limit} nm", "{v} 海里，限值 {limit} 海里"),
    "alert_water": ("{v} m above MLLW", "MLLW 以上 {v} 米"),
    "alert_late_arrival": ("{late} min after ETA, not arrived", "超过 ETA {late} 分钟未到港"),
    "alert_early_arrival": ("{early} min before ETA", "比 ETA 早 {early} 分钟"),
    "alert_overstay": ("{over} min past ETD at {berth}", "超过 ETD {over} 分钟仍在 {berth}"),
    "alert_plans_overlap": ("plans overlap at {berth} with {other}", "{berth} 与 {other} 计划重叠"),
    "alert_other_occupant": ("{berth} occupied by {occupant}", "{berth} 被 {occupant} 占用"),
    "plan_sample": ("sample plan", "样例计划"),
    "alert_with": ("with {other}", "与 {other}"),
    "alert_cpa": ("CPA {cpa} m in {tcpa}", "最近会遇距离 {cpa} 米，{tcpa} 后"),
    "alert_distance": ("{d} m apart", "相距 {d} 米"),
    "alert_silent": ("silent since {t}", "自 {t} 起无信号"),
    "alert_jump": ("{d} km in {s} s", "{s} 秒内移动 {d} 公里"),
    "alert_speed": ("{sog} kn, limit {limit} kn", "{sog} 节，限速 {limit} 节"),
    "alert_drag": ("{d} m from anchor (circle {r} m)", "距锚位 {d} 米（旋回圈 {r} 米）"),
    "alert_invalid_mmsi": ("invalid MMSI", "无效 MMSI"),
    "alert_two_positions": ("same MMSI {d} km apart", "同一 MMSI 相距 {d} 公里"),
    "alert_stopped_since": ("stopped since {t}", "自 {t} 起停留"),
    "alert_not_permitted": ("Your role cannot acknowledge or silence alerts",
                            "您的角色无权确认或静默告警"),
    # login (callbacks/access.py)
    "login_title": ("Sign in", "登录"),
    "login_username": ("User name", "用户名"),
    "login_password": ("Password", "密码"),
    "login_submit": ("Sign in", "登录"),
    "login_failed": ("Wrong user name or password", "用户名或密码错误"),
    "login_locked": ("Too many failed attempts: this account is locked for a while",
                     "登录失败次数过多：该账户已暂时锁定"),
    "login_expired": ("Your session has ended — please sign in again", "会话已结束，请重新登录"),
    "login_unavailable": ("The accounts store is not answering — please try again in a minute",
                          "账户数据库暂无响应，请稍后重试"),
    "store_unavailable_title": ("Not answering", "暂无响应"),
    "store_accounts": ("accounts", "账户"),
    "store_history": ("history", "历史"),
    "store_unavailable": ("The {store} store is not answering. This page tries again by itself.",
                          "{store}数据库暂无响应，本页面将自动重试。"),
    "login_expired_form": ("The form had expired — please sign in again",
                           "表单已过期，请重新登录"),
    "logout": ("Sign out", "退出登录"),
    "signed_in_as": ("{who} ({role})", "{who}（{role}）"),
    "role_admin": ("administrator", "管理员"),
    "role_supervisor": ("supervisor", "值班长"),
    "role_operator": ("operator", "值班员"),
    "role_leadership": ("leadership", "领导"),
    "role_company": ("shipping company", "航运公司"),
    "role_wall": ("wall screen", "大屏"),
    "nav_audit": ("Audit", "审计"),
    "nav_screens": ("Screens", "大屏设备"),
    "screens_title": ("Wall screens", "大屏设备登录"),
    "screens_last_login": ("Last sign-in", "最近登录"),
    "screens_revoke": ("Revoke", "注销"),
    "screens_revoked": ("{who}: every session ended", "{who}：所有会话已结束"),
    "audit_title": ("Audit trail", "审计日志"),
    # forecast (twin/forecast_live.py)
    "forecast_title": ("Next 24 h", "未来24小时"),
    "forecast_tag": ("FORECAST", "预测"),
    "forecast_arrivals": ("≈ {n} arrivals expected (80 %: {low}–{high})",
                          "预计到港约 {n} 艘（80%：{low}–{high}）"),
    "forecast_hour": ("{t}: {n} expected (80 %: {low}–{high})", "{t}：预计 {n} 艘（80%：{low}–{high}）"),
    "forecast_busy": ("{what} expected busy {start}–{end} (≈ {n}; 9 hours in 10 below {usual})",
                      "{what} 预计 {start}–{end} 繁忙（约 {n} 艘；通常低于 {usual}）"),
    "forecast_no_congestion": ("No congestion expected", "未预计拥堵"),
    "forecast_no_model": ("No forecast model: python app.py forecast train",
                          "无预测模型：python app.py forecast train"),
    "forecast_learning": ("Learning from the history…", "正在从历史数据学习…"),
    "forecast_no_history": ("No history to learn a forecast from", "无历史数据，无法预测"),
    "forecast_none": ("No forecast", "无预测"),
    "forecast_next_stay": ("Next stay", "下一停靠"),
    "forecast_berthing": ("Berthing", "靠泊"),
    "forecast_anchoring": ("Anchoring", "锚泊"),
    "forecast_interval": ("80 % interval", "80% 区间"),
    "forecast_chance": ("Chance", "概率"),
    "forecast_chance_value": ("{p} % (any stay in 12 h: {come} %)",
                              "{p}%（12小时内停靠：{come}%）"),
    "forecast_in_stay": ("In a stay now", "正在停靠"),
    "forecast_not_now_silent": ("Not forecast (not heard from in 10 min)",
                                "无预测（10 分钟内无报告）"),
    "forecast_not_now_stopped": ("Stopped at a berth or anchorage: no next stay forecast",
                                 "已停在泊位或锚地：不预测下一停靠"),
    "forecast_not_now_unknown": ("Not forecast", "无预测"),
    "anchorage_named": ("Anchorage {name}", "锚地 {name}"),
    "place_named": ("{name}", "{name}"),
    "berths_other": ("Berths", "泊位"),
}


LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}


def fmt_number(value, lang: str, digits: int = 0) -> str:
    """A number in the language's convention (Babel, CLDR): grouping, decimal sign."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    from babel.numbers import format_decimal
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES.get(lang, "en_US"))


def fmt_percent(value, lang: str, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    from babel.numbers import format_percent
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=LOCALES.get(lang, "en_US"))


def fmt_time(epoch, tz: str, lang: str, with_date: bool = True) -> str:
    """A moment in the port's time zone, in the language's date order (CLDR medium/short)."""
    if epoch is None or (isinstance(epoch, float) and epoch != epoch):
        return "—"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    moment = datetime.fromtimestamp(float(epoch), ZoneInfo(tz))
    pattern = ("yyyy-MM-dd HH:mm zzz" if lang == "en" else "yyyy年M月d日 HH:mm zzz") \
        if with_date else "HH:mm"
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(tz),
                           locale=LOCALES.get(lang, "en_US"))


def fmt_date(epoch, tz: str, lang: str) -> str:
    if epoch is None:
        return "—"
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from babel.dates import format_date
    return format_date(datetime.fromtimestamp(float(epoch), ZoneInfo(tz)).date(),
                       "yyyy-MM-dd" if lang == "en" else "yyyy年M月d日",
                       locale=LOCALES.get(lang, "en_US"))


def t(key: str, lang: str = "en", **fmt) -> str:
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh" else pair[0]
    return text.format(**fmt) if fmt else text


def normalise_language(lang: str | None, default: str = "en") -> str:
    return lang if lang in LANGUAGES else default


def grid_locale(lang: str, no_rows_key: str) -> dict:
    """AG Grid's ``localeText`` in the page's language (its pagination and messages were
    English on the Chinese pages)."""
    keys = {"page": "grid_page", "of": "grid_of", "to": "grid_to", "more": "grid_more",
            "pageSizeSelectorLabel": "grid_page_size", "firstPage": "grid_first",
            "previousPage": "grid_previous", "nextPage": "grid_next", "lastPage": "grid_last",
            "loadingOoo": "grid_loading", "noRowsToShow": no_rows_key}
    return {grid_key: t(key, lang) for grid_key, key in keys.items()}
