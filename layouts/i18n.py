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
    "seconds_ago": ("{s:.0f} s ago", "{s:.0f} 秒前"),
    "minutes_ago": ("{m:.0f} min ago", "{m:.0f} 分钟前"),
    "never": ("never", "无"),
    # map controls
    "colour_by": ("Colour by", "着色"),
    "by_type": ("Ship type", "船型"),
    "by_status": ("Nav status", "航行状态"),
    "map_note": ("Vessels to scale from AIS length and beam; dots where dimensions are unknown.",
                 "船舶按 AIS 船长船宽等比例绘制；无尺度数据的船以圆点表示。"),
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
    # port panel and port calls
    "port_now": ("Port now", "港口实时"),
    "in_port": ("In port area", "在港"),
    "at_berth_now": ("At berth", "在泊"),
    "waiting_now": ("Waiting at anchor", "锚地待泊"),
    "berths_occupied": ("Berths occupied", "泊位占用"),
    "queue_longest": ("longest wait {who}: {h:.1f} h", "最长等待 {who}：{h:.1f} 小时"),
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
}


def t(key: str, lang: str = "en", **fmt) -> str:
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "zh" else pair[0]
    return text.format(**fmt) if fmt else text


def normalise_language(lang: str | None, default: str = "en") -> str:
    return lang if lang in LANGUAGES else default
