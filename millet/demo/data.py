"""What the demo company sells and where: Xiaomi's 2017 line-up, warehouses and Mi Home cities."""

from __future__ import annotations


# Device model specs (MIoT style) for the connected products.
def _prop(piid, name, fmt, access, unit=None, value_range=None, value_list=None):
    p = {"piid": piid, "name": name, "format": fmt, "access": access}
    if unit:
        p["unit"] = unit
    if value_range:
        p["value_range"] = value_range
    if value_list:
        p["value_list"] = [{"value": v, "description": d} for v, d in value_list]
    return p


RW = ["read", "write", "notify"]
RO = ["read", "notify"]

DEVICE_MODELS = {
    "purifier": (
        "urn:millet-spec:device:air-purifier:mi2:1",
        "Mi Air Purifier 2",
        [
            {
                "siid": 2,
                "type": "air-purifier",
                "description": "Air purifier",
                "properties": [
                    _prop(1, "on", "bool", RW),
                    _prop(2, "mode", "uint8", RW, value_list=[(0, "auto"), (1, "sleep"), (2, "favorite")]),
                    _prop(3, "fan-level", "uint8", RW, value_range=[1, 3, 1]),
                ],
                "actions": [{"aiid": 1, "name": "toggle", "in": [], "out": []}],
                "events": [],
            },
            {
                "siid": 3,
                "type": "environment",
                "description": "Environment",
                "properties": [
                    _prop(1, "pm2.5-density", "uint16", RO, unit="μg/m3", value_range=[0, 1000, 1]),
                    _prop(2, "relative-humidity", "uint8", RO, unit="percentage", value_range=[0, 100, 1]),
                    _prop(3, "temperature", "float", RO, unit="celsius", value_range=[-40, 125, 0.1]),
                ],
                "actions": [],
                "events": [{"eiid": 1, "name": "filter-exhausted", "arguments": []}],
            },
        ],
    ),
    "camera": (
        "urn:millet-spec:device:camera:c360:1",
        "Mi Home Security Camera 360",
        [
            {
                "siid": 2,
                "type": "camera-control",
                "description": "Camera",
                "properties": [
                    _prop(1, "on", "bool", RW),
                    _prop(2, "night-vision", "uint8", RW, value_list=[(0, "auto"), (1, "off"), (2, "on")]),
                    _prop(3, "motion-detected", "bool", RO),
                ],
                "actions": [{"aiid": 1, "name": "take-snapshot", "in": [], "out": []}],
                "events": [{"eiid": 1, "name": "motion", "arguments": [3]}],
            },
            {
                # Filled by the cloud's face detector (millet.vision) from each snapshot: how many faces
                # and the best detector score; faces are detected, never identified.
                "siid": 3,
                "type": "face-detection",
                "description": "Face detection",
                "properties": [
                    _prop(1, "face-count", "uint8", RO, value_range=[0, 255, 1]),
                    _prop(2, "face-score", "float", RO, value_range=[0, 1, 0.001]),
                ],
                "actions": [],
                "events": [{"eiid": 1, "name": "face-detected", "arguments": [1, 2]}],
            },
        ],
    ),
    "bulb": (
        "urn:millet-spec:device:light:yeelight-color:1",
        "Yeelight Color Bulb",
        [
            {
                "siid": 2,
                "type": "light",
                "description": "Light",
                "properties": [
                    _prop(1, "on", "bool", RW),
                    _prop(2, "brightness", "uint8", RW, unit="percentage", value_range=[1, 100, 1]),
                    _prop(3, "color-temperature", "uint16", RW, unit="kelvin", value_range=[1700, 6500, 1]),
                ],
                "actions": [{"aiid": 1, "name": "toggle", "in": [], "out": []}],
                "events": [],
            },
        ],
    ),
    "plug": (
        "urn:millet-spec:device:outlet:mi-plug:1",
        "Mi Smart Plug",
        [
            {
                "siid": 2,
                "type": "switch",
                "description": "Switch",
                "properties": [
                    _prop(1, "on", "bool", RW),
                    _prop(2, "power", "float", RO, unit="watt", value_range=[0, 2500, 0.1]),
                ],
                "actions": [{"aiid": 1, "name": "toggle", "in": [], "out": []}],
                "events": [],
            },
        ],
    ),
    "vacuum": (
        "urn:millet-spec:device:vacuum:roborock-v1:1",
        "Mi Robot Vacuum",
        [
            {
                "siid": 2,
                "type": "vacuum",
                "description": "Robot cleaner",
                "properties": [
                    _prop(
                        1,
                        "status",
                        "uint8",
                        RO,
                        value_list=[(1, "idle"), (2, "cleaning"), (3, "charging"), (4, "error")],
                    ),
                    _prop(2, "battery-level", "uint8", RO, unit="percentage", value_range=[0, 100, 1]),
                    _prop(
                        3, "fan-level", "uint8", RW, value_list=[(0, "quiet"), (1, "standard"), (2, "strong")]
                    ),
                ],
                "actions": [
                    {"aiid": 1, "name": "start-sweep", "in": [], "out": []},
                    {"aiid": 2, "name": "stop-sweeping", "in": [], "out": []},
                ],
                "events": [{"eiid": 1, "name": "stuck", "arguments": [1]}],
            },
        ],
    ),
    "band": (
        "urn:millet-spec:device:watch:mi-band-2:1",
        "Mi Band 2",
        [
            {
                "siid": 2,
                "type": "fitness",
                "description": "Fitness",
                "properties": [
                    _prop(1, "step-count", "uint32", RO, unit="steps", value_range=[0, 200000, 1]),
                    _prop(2, "heart-rate", "uint8", RO, unit="bpm", value_range=[30, 220, 1]),
                    _prop(3, "battery-level", "uint8", RO, unit="percentage", value_range=[0, 100, 1]),
                ],
                "actions": [],
                "events": [],
            },
        ],
    ),
    "router": (
        "urn:millet-spec:device:router:mi-router-3:1",
        "Mi Router 3",
        [
            {
                "siid": 2,
                "type": "router",
                "description": "Router",
                "properties": [
                    _prop(1, "connected-devices", "uint16", RO, value_range=[0, 512, 1]),
                    _prop(2, "download-speed", "uint32", RO, unit="kbps", value_range=[0, 10000000, 1]),
                    _prop(3, "guest-wifi", "bool", RW),
                ],
                "actions": [{"aiid": 1, "name": "reboot", "in": [], "out": []}],
                "events": [],
            },
        ],
    ),
    "tv": (
        "urn:millet-spec:device:television:mi-tv-4:1",
        "Mi TV 4",
        [
            {
                "siid": 2,
                "type": "television",
                "description": "TV",
                "properties": [
                    _prop(1, "on", "bool", RW),
                    _prop(2, "volume", "uint8", RW, unit="percentage", value_range=[0, 100, 1]),
                ],
                "actions": [],
                "events": [],
            },
        ],
    ),
}

# slug, name, category, device model key, serialized, [(sku code, variant, CNY, INR or None)]
PRODUCTS = [
    (
        "mi-6",
        "Mi 6",
        "phone",
        None,
        True,
        [("MI6-64-BLK", "64 GB black", "2499", "29999"), ("MI6-128-BLU", "128 GB blue", "2899", None)],
    ),
    ("mi-mix", "Mi MIX", "phone", None, True, [("MIX-256", "256 GB ceramic", "3999", None)]),
    ("mi-note-2", "Mi Note 2", "phone", None, True, [("NOTE2-64", "64 GB", "2799", None)]),
    ("mi-5s", "Mi 5s", "phone", None, True, [("MI5S-64", "64 GB", "1999", "19999")]),
    ("mi-max-2", "Mi Max 2", "phone", None, True, [("MAX2-64", "64 GB", "1699", "16999")]),
    ("redmi-4", "Redmi 4", "phone", None, True, [("RM4-32", "32 GB", "899", "8999")]),
    ("redmi-4a", "Redmi 4A", "phone", None, True, [("RM4A-16", "16 GB", "599", "5999")]),
    (
        "redmi-note-4",
        "Redmi Note 4",
        "phone",
        None,
        True,
        [("RN4-32", "32 GB", "999", "10999"), ("RN4-64", "64 GB", "1199", "12999")],
    ),
    ("mi-tv-4-55", 'Mi TV 4 55"', "tv", "tv", True, [("TV4-55", "55 inch 4K", "3999", None)]),
    ("mi-tv-4a-43", 'Mi TV 4A 43"', "tv", "tv", True, [("TV4A-43", "43 inch", "1799", "22999")]),
    ("mi-tv-4a-32", 'Mi TV 4A 32"', "tv", "tv", True, [("TV4A-32", "32 inch", "1099", "13999")]),
    ("mi-router-3", "Mi Router 3", "router", "router", True, [("ROUTER3", "AC1200", "149", None)]),
    ("mi-router-3c", "Mi Router 3C", "router", "router", True, [("ROUTER3C", "N300", "99", "1199")]),
    ("mi-router-hd", "Mi Router HD", "router", "router", True, [("ROUTERHD-1T", "1 TB", "1299", None)]),
    (
        "mi-cam-360",
        "Mi Home Security Camera 360",
        "camera",
        "camera",
        True,
        [("CAM360", "1080p", "199", "2699")],
    ),
    ("xiaofang", "Xiaofang Smart Camera", "camera", "camera", True, [("XIAOFANG", "1080p", "129", None)]),
    ("mi-band-2", "Mi Band 2", "band", "band", True, [("BAND2", "black", "149", "1999")]),
    (
        "mi-air-purifier-2",
        "Mi Air Purifier 2",
        "home",
        "purifier",
        True,
        [("PURIFIER2", "white", "699", "9999")],
    ),
    ("mi-robot-vacuum", "Mi Robot Vacuum", "home", "vacuum", True, [("VACUUM1", "white", "1699", None)]),
    ("yeelight-color", "Yeelight Color Bulb", "home", "bulb", True, [("YEELIGHT-C", "E27", "99", "1799")]),
    ("mi-smart-plug", "Mi Smart Plug", "home", "plug", True, [("PLUG-WIFI", "Wi-Fi", "49", "999")]),
    (
        "mi-notebook-air-13",
        'Mi Notebook Air 13.3"',
        "laptop",
        None,
        True,
        [("NBAIR13", "i5 8 GB", "4999", None)],
    ),
    (
        "mi-notebook-air-12",
        'Mi Notebook Air 12.5"',
        "laptop",
        None,
        True,
        [("NBAIR12", "m3 4 GB", "3599", None)],
    ),
    (
        "mi-bluetooth-speaker",
        "Mi Bluetooth Speaker",
        "speaker",
        None,
        True,
        [("SPEAKER-BT", "silver", "149", "1999")],
    ),
    ("mi-ai-speaker", "Mi AI Speaker", "speaker", None, True, [("AISPEAKER", "white", "299", None)]),
    (
        "mi-power-bank-10000",
        "Mi Power Bank 2 10000 mAh",
        "accessory",
        None,
        False,
        [("PB-10000", "silver", "79", "799")],
    ),
    (
        "mi-power-bank-20000",
        "Mi Power Bank 20000 mAh",
        "accessory",
        None,
        False,
        [("PB-20000", "white", "129", "1499")],
    ),
    (
        "mi-piston-earphones",
        "Mi Piston Earphones",
        "accessory",
        None,
        False,
        [("PISTON3", "silver", "69", "699")],
    ),
    ("mi-usb-c-cable", "Mi USB-C Cable", "accessory", None, False, [("CABLE-C", "1 m", "19.90", "299")]),
    (
        "mi-selfie-stick",
        "Mi Selfie Stick Tripod",
        "accessory",
        None,
        False,
        [("SELFIE", "black", "89", "1099")],
    ),
    ("mi-scooter", "Mi Electric Scooter", "home", None, True, [("SCOOTER-M365", "M365", "1999", None)]),
    ("mi-rice-cooker", "Mi Induction Rice Cooker", "home", None, True, [("RICECOOKER", "3 L", "999", None)]),
]

# code, city, latitude, longitude
# code, city, latitude, longitude, state (ISO 3166-2: the supplier's state for India's GST)
WAREHOUSES = {
    "CN": [
        ("WH-CN-BJ", "Beijing", "39.904200", "116.407400", "CN-BJ"),
        ("WH-CN-SH", "Shanghai", "31.230400", "121.473700", "CN-SH"),
        ("WH-CN-GZ", "Guangzhou", "23.129100", "113.264400", "CN-GD"),
        ("WH-CN-WH", "Wuhan", "30.592800", "114.305500", "CN-HB"),
        ("WH-CN-CD", "Chengdu", "30.572800", "104.066800", "CN-SC"),
    ],
    "IN": [
        ("WH-IN-BLR", "Bengaluru", "12.971600", "77.594600", "IN-KA"),
        ("WH-IN-DEL", "New Delhi", "28.613900", "77.209000", "IN-DL"),
    ],
    "DE": [("WH-DE-FRA", "Frankfurt", "50.110900", "8.682100", "DE-HE")],
}

# Where the demo's web orders are delivered: city and state. An Indian order to a state without a
# warehouse (Maharashtra) is an inter-state supply and carries IGST; the others CGST + SGST.
SHIPPING_ADDRESSES = {
    "CN": [("Beijing", "CN-BJ"), ("Shanghai", "CN-SH"), ("Shenzhen", "CN-GD")],
    "IN": [("Bengaluru", "IN-KA"), ("Mumbai", "IN-MH"), ("New Delhi", "IN-DL")],
}

# Mi Home cities in China at the start of 2017: name, code, position, stores there (54 in all).
CN_STORE_CITIES = [
    ("Beijing", "BJ", "39.9042", "116.4074", 6),
    ("Shanghai", "SH", "31.2304", "121.4737", 6),
    ("Guangzhou", "GZ", "23.1291", "113.2644", 4),
    ("Shenzhen", "SZ", "22.5431", "114.0579", 4),
    ("Chengdu", "CD", "30.5728", "104.0668", 3),
    ("Wuhan", "WH", "30.5928", "114.3055", 3),
    ("Hangzhou", "HZ", "30.2741", "120.1551", 3),
    ("Nanjing", "NJ", "32.0603", "118.7969", 3),
    ("Tianjin", "TJ", "39.3434", "117.3616", 2),
    ("Chongqing", "CQ", "29.4316", "106.9123", 2),
    ("Xi'an", "XA", "34.3416", "108.9398", 2),
    ("Suzhou", "SU", "31.2989", "120.5853", 2),
    ("Changsha", "CS", "28.2282", "112.9388", 2),
    ("Zhengzhou", "ZZ", "34.7466", "113.6254", 2),
    ("Shenyang", "SY", "41.8057", "123.4315", 2),
    ("Qingdao", "QD", "36.0671", "120.3826", 2),
    ("Jinan", "JN", "36.6512", "117.1201", 2),
    ("Xiamen", "XM", "24.4798", "118.0894", 2),
    ("Kunming", "KM", "24.8801", "102.8329", 1),
    ("Harbin", "HB", "45.8038", "126.5349", 1),
]

IN_PLANNED_CITIES = [
    "Bengaluru",
    "New Delhi",
    "Mumbai",
    "Chennai",
    "Hyderabad",
    "Pune",
    "Kolkata",
    "Ahmedabad",
]
CN_PLANNED_CITIES = [
    "Hefei",
    "Fuzhou",
    "Nanning",
    "Guiyang",
    "Taiyuan",
    "Shijiazhuang",
    "Nanchang",
    "Lanzhou",
    "Urumqi",
    "Dalian",
    "Ningbo",
    "Wuxi",
]
