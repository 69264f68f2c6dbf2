"""What the demo store says about each product, per language, which drawing shows it, and the prices
in Germany (EUR, VAT included), where Millet sells the same line-up as in China.

PRODUCT_TEXT: slug -> (drawing, English description, {language: (name, description)}). The English
name is the product's own (``data.PRODUCTS``); "zh-hans", "hi" and "de" are its translations.
"""

from __future__ import annotations

PRODUCT_TEXT: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "mi-6": (
        "phone-black",
        "Snapdragon 835, a dual 12 MP camera with 2x zoom and a glass body.",
        {
            "zh-hans": ("小米6", "骁龙835处理器，1200万双摄，2倍光学变焦，四曲面玻璃机身。"),
            "hi": ("Mi 6", "स्नैपड्रैगन 835, 2x ज़ूम वाला 12 MP डुअल कैमरा और ग्लास बॉडी।"),
            "de": ("Mi 6", "Snapdragon 835, 12-MP-Dualkamera mit 2-fach-Zoom und Glasgehäuse."),
        },
    ),
    "mi-mix": (
        "phone-ceramic",
        "A nearly borderless 6.4-inch screen in a ceramic body.",
        {
            "zh-hans": ("小米MIX", "6.4英寸全面屏，全陶瓷机身。"),
            "hi": ("Mi MIX", "सिरेमिक बॉडी में लगभग बिना किनारे वाली 6.4 इंच की स्क्रीन।"),
            "de": ("Mi MIX", "Nahezu randloses 6,4-Zoll-Display in einem Keramikgehäuse."),
        },
    ),
    "mi-note-2": (
        "phone-blue",
        "A curved 5.7-inch screen on both sides and a 22.5 MP camera.",
        {
            "zh-hans": ("小米Note 2", "5.7英寸双曲面屏，2250万像素相机。"),
            "hi": ("Mi Note 2", "दोनों ओर मुड़ी 5.7 इंच की स्क्रीन और 22.5 MP कैमरा।"),
            "de": ("Mi Note 2", "Beidseitig gewölbtes 5,7-Zoll-Display und 22,5-MP-Kamera."),
        },
    ),
    "mi-5s": (
        "phone-gold",
        "An ultrasonic fingerprint sensor under the glass and a large-pixel camera.",
        {
            "zh-hans": ("小米5s", "超声波指纹识别，大像素相机。"),
            "hi": ("Mi 5s", "ग्लास के नीचे अल्ट्रासोनिक फ़िंगरप्रिंट सेंसर और बड़े पिक्सेल वाला कैमरा।"),
            "de": ("Mi 5s", "Ultraschall-Fingerabdrucksensor unter dem Glas und Kamera mit großen Pixeln."),
        },
    ),
    "mi-max-2": (
        "phone-gold",
        "A 6.44-inch screen and a 5300 mAh battery that lasts two days.",
        {
            "zh-hans": ("小米Max 2", "6.44英寸大屏，5300mAh大电池，一次充电用两天。"),
            "hi": ("Mi Max 2", "6.44 इंच की स्क्रीन और दो दिन चलने वाली 5300 mAh बैटरी।"),
            "de": ("Mi Max 2", "6,44-Zoll-Display und ein 5300-mAh-Akku, der zwei Tage hält."),
        },
    ),
    "redmi-4": (
        "phone-gold",
        "A metal body, a 4100 mAh battery and a fingerprint sensor.",
        {
            "zh-hans": ("红米4", "金属机身，4100mAh电池，指纹识别。"),
            "hi": ("Redmi 4", "मेटल बॉडी, 4100 mAh बैटरी और फ़िंगरप्रिंट सेंसर।"),
            "de": ("Redmi 4", "Metallgehäuse, 4100-mAh-Akku und Fingerabdrucksensor."),
        },
    ),
    "redmi-4a": (
        "phone-black",
        "Compact and light, with a 13 MP camera and a 3120 mAh battery.",
        {
            "zh-hans": ("红米4A", "小巧轻盈，1300万像素相机，3120mAh电池。"),
            "hi": ("Redmi 4A", "छोटा और हल्का, 13 MP कैमरा और 3120 mAh बैटरी के साथ।"),
            "de": ("Redmi 4A", "Kompakt und leicht, mit 13-MP-Kamera und 3120-mAh-Akku."),
        },
    ),
    "redmi-note-4": (
        "phone-black",
        "A 5.5-inch full HD screen, a metal body and a 4100 mAh battery.",
        {
            "zh-hans": ("红米Note 4", "5.5英寸全高清屏，金属机身，4100mAh电池。"),
            "hi": ("Redmi Note 4", "5.5 इंच की फ़ुल HD स्क्रीन, मेटल बॉडी और 4100 mAh बैटरी।"),
            "de": ("Redmi Note 4", "5,5-Zoll-Full-HD-Display, Metallgehäuse und 4100-mAh-Akku."),
        },
    ),
    "mi-tv-4-55": (
        "tv",
        "A 4.9 mm thin 55-inch 4K HDR TV with voice search on its remote.",
        {
            "zh-hans": ("小米电视4 55英寸", "4.9毫米超薄55英寸4K HDR电视，遥控器支持语音搜索。"),
            "hi": ('Mi TV 4 55"', "4.9 mm पतला 55 इंच 4K HDR टीवी, रिमोट पर वॉइस सर्च के साथ।"),
            "de": (
                'Mi TV 4 55"',
                "Nur 4,9 mm dünner 55-Zoll-4K-HDR-Fernseher mit Sprachsuche auf der Fernbedienung.",
            ),
        },
    ),
    "mi-tv-4a-43": (
        "tv",
        "A 43-inch full HD TV with PatchWall, which learns what you like.",
        {
            "zh-hans": ("小米电视4A 43英寸", "43英寸全高清电视，PatchWall智能推荐你喜欢的内容。"),
            "hi": ('Mi TV 4A 43"', "43 इंच का फ़ुल HD टीवी, PatchWall के साथ जो आपकी पसंद सीखता है।"),
            "de": ('Mi TV 4A 43"', "43-Zoll-Full-HD-Fernseher mit PatchWall, das Ihre Vorlieben lernt."),
        },
    ),
    "mi-tv-4a-32": (
        "tv",
        "A 32-inch HD TV for the bedroom or the kitchen.",
        {
            "zh-hans": ("小米电视4A 32英寸", "32英寸高清电视，适合卧室和厨房。"),
            "hi": ('Mi TV 4A 32"', "बेडरूम या रसोई के लिए 32 इंच का HD टीवी।"),
            "de": ('Mi TV 4A 32"', "32-Zoll-HD-Fernseher für Schlafzimmer oder Küche."),
        },
    ),
    "mi-router-3": (
        "router",
        "Dual-band AC1200 Wi-Fi with four antennas for the whole flat.",
        {
            "zh-hans": ("小米路由器3", "AC1200双频Wi-Fi，四天线覆盖全屋。"),
            "hi": ("Mi राउटर 3", "पूरे घर के लिए चार एंटीना वाला डुअल-बैंड AC1200 वाई-फ़ाई।"),
            "de": ("Mi Router 3", "Dualband-WLAN AC1200 mit vier Antennen für die ganze Wohnung."),
        },
    ),
    "mi-router-3c": (
        "router",
        "Simple 300 Mbit/s Wi-Fi, set up from your phone in a minute.",
        {
            "zh-hans": ("小米路由器3C", "300Mbps Wi-Fi，用手机一分钟完成设置。"),
            "hi": ("Mi राउटर 3C", "आसान 300 Mbit/s वाई-फ़ाई, फ़ोन से एक मिनट में सेट करें।"),
            "de": ("Mi Router 3C", "Einfaches WLAN mit 300 Mbit/s, in einer Minute per Handy eingerichtet."),
        },
    ),
    "mi-router-hd": (
        "router-hd",
        "A fast router with a 1 TB disk for backups and films.",
        {
            "zh-hans": ("小米路由器HD", "高速路由器，内置1TB硬盘，用于备份和存放影片。"),
            "hi": ("Mi राउटर HD", "बैकअप और फ़िल्मों के लिए 1 TB डिस्क वाला तेज़ राउटर।"),
            "de": ("Mi Router HD", "Schneller Router mit 1-TB-Festplatte für Backups und Filme."),
        },
    ),
    "mi-cam-360": (
        "camera-360",
        "Turns to see the whole room in 1080p, with night vision and motion alerts.",
        {
            "zh-hans": ("米家智能摄像机 云台版", "360度云台，1080p画质，红外夜视，移动侦测提醒。"),
            "hi": (
                "Mi होम सिक्योरिटी कैमरा 360",
                "1080p में पूरा कमरा देखने के लिए घूमता है, नाइट विज़न और मोशन अलर्ट के साथ।",
            ),
            "de": (
                "Mi Home Sicherheitskamera 360",
                "Schwenkt über den ganzen Raum in 1080p, mit Nachtsicht und Bewegungsalarm.",
            ),
        },
    ),
    "xiaofang": (
        "camera-cube",
        "A small 1080p camera that stands anywhere and watches your home.",
        {
            "zh-hans": ("小方智能摄像机", "小巧的1080p摄像机，放在哪里都能看家。"),
            "hi": ("Xiaofang स्मार्ट कैमरा", "छोटा 1080p कैमरा जो कहीं भी रखकर घर पर नज़र रखता है।"),
            "de": (
                "Xiaofang Smart-Kamera",
                "Kleine 1080p-Kamera, die überall steht und Ihr Zuhause im Blick hat.",
            ),
        },
    ),
    "mi-band-2": (
        "band",
        "Steps, sleep and heart rate on an OLED screen, for 20 days on a charge.",
        {
            "zh-hans": ("小米手环2", "OLED屏显示步数、睡眠和心率，一次充电用20天。"),
            "hi": ("Mi बैंड 2", "OLED स्क्रीन पर कदम, नींद और हृदय गति, एक चार्ज में 20 दिन।"),
            "de": ("Mi Band 2", "Schritte, Schlaf und Puls auf einem OLED-Display, 20 Tage pro Ladung."),
        },
    ),
    "mi-air-purifier-2": (
        "purifier",
        "Cleans a 21 m² room in ten minutes and shows the PM2.5 level in the app.",
        {
            "zh-hans": ("小米空气净化器2", "十分钟净化21平方米房间，在应用中查看PM2.5数值。"),
            "hi": (
                "Mi एयर प्यूरीफ़ायर 2",
                "21 m² का कमरा दस मिनट में साफ़ करता है और ऐप में PM2.5 स्तर दिखाता है।",
            ),
            "de": (
                "Mi Luftreiniger 2",
                "Reinigt einen 21-m²-Raum in zehn Minuten und zeigt den PM2,5-Wert in der App.",
            ),
        },
    ),
    "mi-robot-vacuum": (
        "vacuum",
        "Maps the room with a laser and cleans it in neat lines, then goes back to charge.",
        {
            "zh-hans": ("米家扫地机器人", "激光扫描建图，规划路线清扫，自动回充。"),
            "hi": (
                "Mi रोबोट वैक्यूम",
                "लेज़र से कमरे का नक्शा बनाकर सीधी लाइनों में सफ़ाई करता है, फिर चार्ज होने लौटता है।",
            ),
            "de": (
                "Mi Saugroboter",
                "Kartiert den Raum per Laser, saugt in geraden Bahnen und fährt zurück zur Ladestation.",
            ),
        },
    ),
    "yeelight-color": (
        "bulb",
        "16 million colours and warm to cool white, dimmed from your phone.",
        {
            "zh-hans": ("Yeelight彩光灯泡", "1600万种色彩，冷暖白光可调，用手机调光。"),
            "hi": ("Yeelight कलर बल्ब", "1.6 करोड़ रंग और गर्म से ठंडी सफ़ेद रोशनी, फ़ोन से मद्धम करें।"),
            "de": (
                "Yeelight Farblampe",
                "16 Millionen Farben und warmes bis kühles Weiß, per Handy gedimmt.",
            ),
        },
    ),
    "mi-smart-plug": (
        "plug",
        "Switches any appliance from your phone and measures its power.",
        {
            "zh-hans": ("米家智能插座", "用手机控制任何电器的开关，并测量功率。"),
            "hi": ("Mi स्मार्ट प्लग", "फ़ोन से किसी भी उपकरण को चालू-बंद करें और उसकी बिजली मापें।"),
            "de": ("Mi Smart-Steckdose", "Schaltet jedes Gerät per Handy und misst seine Leistung."),
        },
    ),
    "mi-notebook-air-13": (
        "laptop",
        "A 13.3-inch full HD laptop in a 14.8 mm aluminium body.",
        {
            "zh-hans": ("小米笔记本Air 13.3英寸", "13.3英寸全高清屏，14.8毫米铝合金机身。"),
            "hi": ('Mi नोटबुक एयर 13.3"', "14.8 mm एल्युमिनियम बॉडी में 13.3 इंच का फ़ुल HD लैपटॉप।"),
            "de": (
                'Mi Notebook Air 13,3"',
                "13,3-Zoll-Full-HD-Notebook im 14,8 mm flachen Aluminiumgehäuse.",
            ),
        },
    ),
    "mi-notebook-air-12": (
        "laptop",
        "A 12.5-inch laptop that weighs 1.07 kg and has no fan.",
        {
            "zh-hans": ("小米笔记本Air 12.5英寸", "12.5英寸，重1.07千克，无风扇静音设计。"),
            "hi": ('Mi नोटबुक एयर 12.5"', "12.5 इंच का लैपटॉप, वज़न 1.07 kg और बिना पंखे के।"),
            "de": ('Mi Notebook Air 12,5"', "12,5-Zoll-Notebook mit 1,07 kg, ganz ohne Lüfter."),
        },
    ),
    "mi-bluetooth-speaker": (
        "speaker-bt",
        "A metal Bluetooth speaker with full sound and eight hours of play.",
        {
            "zh-hans": ("小米蓝牙音箱", "金属机身蓝牙音箱，音质饱满，续航8小时。"),
            "hi": ("Mi ब्लूटूथ स्पीकर", "भरपूर आवाज़ वाला मेटल ब्लूटूथ स्पीकर, आठ घंटे चलता है।"),
            "de": (
                "Mi Bluetooth-Lautsprecher",
                "Metall-Bluetooth-Lautsprecher mit vollem Klang und acht Stunden Laufzeit.",
            ),
        },
    ),
    "mi-ai-speaker": (
        "speaker-ai",
        "Ask it for music, the weather or to switch off the lights.",
        {
            "zh-hans": ("小米AI音箱", "让它放音乐、查天气、关灯。"),
            "hi": ("Mi AI स्पीकर", "इससे संगीत, मौसम पूछें या लाइट बंद करवाएँ।"),
            "de": (
                "Mi KI-Lautsprecher",
                "Fragen Sie nach Musik, dem Wetter oder lassen Sie das Licht ausschalten.",
            ),
        },
    ),
    "mi-power-bank-10000": (
        "power-bank",
        "10000 mAh in aluminium, charges a phone three times.",
        {
            "zh-hans": ("小米移动电源2 10000mAh", "铝合金外壳，10000mAh，可为手机充电三次。"),
            "hi": ("Mi पावर बैंक 2 10000 mAh", "एल्युमिनियम में 10000 mAh, फ़ोन को तीन बार चार्ज करता है।"),
            "de": ("Mi Powerbank 2 10000 mAh", "10000 mAh in Aluminium, lädt ein Handy dreimal."),
        },
    ),
    "mi-power-bank-20000": (
        "power-bank",
        "20000 mAh and two USB ports, for a week away.",
        {
            "zh-hans": ("小米移动电源 20000mAh", "20000mAh，双USB输出，出门一周也够用。"),
            "hi": ("Mi पावर बैंक 20000 mAh", "20000 mAh और दो USB पोर्ट, एक हफ़्ते की यात्रा के लिए।"),
            "de": ("Mi Powerbank 20000 mAh", "20000 mAh und zwei USB-Anschlüsse, für eine Woche unterwegs."),
        },
    ),
    "mi-piston-earphones": (
        "earphones",
        "In-ear earphones with a microphone and a remote on the cable.",
        {
            "zh-hans": ("小米圈铁耳机", "入耳式耳机，线控带麦克风。"),
            "hi": ("Mi पिस्टन ईयरफ़ोन", "माइक्रोफ़ोन और केबल पर रिमोट वाले इन-ईयर ईयरफ़ोन।"),
            "de": ("Mi Piston Kopfhörer", "In-Ear-Kopfhörer mit Mikrofon und Fernbedienung am Kabel."),
        },
    ),
    "mi-usb-c-cable": (
        "cable",
        "A braided USB-C cable for fast charging and data.",
        {
            "zh-hans": ("小米USB-C数据线", "编织USB-C数据线，支持快充和数据传输。"),
            "hi": ("Mi USB-C केबल", "तेज़ चार्जिंग और डेटा के लिए ब्रेडेड USB-C केबल।"),
            "de": ("Mi USB-C-Kabel", "Geflochtenes USB-C-Kabel zum schnellen Laden und für Daten."),
        },
    ),
    "mi-selfie-stick": (
        "selfie-stick",
        "A selfie stick that stands as a tripod, with a Bluetooth remote.",
        {
            "zh-hans": ("小米自拍杆三脚架", "自拍杆可变三脚架，附蓝牙遥控器。"),
            "hi": ("Mi सेल्फ़ी स्टिक ट्राइपॉड", "ट्राइपॉड बन जाने वाली सेल्फ़ी स्टिक, ब्लूटूथ रिमोट के साथ।"),
            "de": (
                "Mi Selfie-Stick mit Stativ",
                "Selfie-Stick, der als Stativ steht, mit Bluetooth-Auslöser.",
            ),
        },
    ),
    "mi-scooter": (
        "scooter",
        "Folds in three seconds and rides 30 km on a charge.",
        {
            "zh-hans": ("米家电动滑板车", "三秒折叠，一次充电可骑行30公里。"),
            "hi": ("Mi इलेक्ट्रिक स्कूटर", "तीन सेकंड में मुड़ जाता है और एक चार्ज में 30 km चलता है।"),
            "de": ("Mi Elektro-Scooter", "In drei Sekunden gefaltet, 30 km Reichweite pro Ladung."),
        },
    ),
    "mi-rice-cooker": (
        "rice-cooker",
        "Induction heating that cooks rice the way each variety needs.",
        {
            "zh-hans": ("米家IH电饭煲", "IH电磁加热，按米种精准烹饪。"),
            "hi": (
                "Mi इंडक्शन राइस कुकर",
                "इंडक्शन हीटिंग, जो हर किस्म का चावल उसकी ज़रूरत के हिसाब से पकाता है।",
            ),
            "de": ("Mi Induktions-Reiskocher", "Induktionsheizung, die jede Reissorte richtig gart."),
        },
    ),
}

# SKU code -> price in Germany (EUR, VAT included). The rest of the line-up is not sold there.
EUR_PRICES = {
    "MI6-64-BLK": "449.00",
    "MI6-128-BLU": "499.00",
    "MIX-256": "699.00",
    "NOTE2-64": "469.00",
    "MI5S-64": "329.00",
    "MAX2-64": "279.00",
    "RM4-32": "149.00",
    "RM4A-16": "109.00",
    "RN4-32": "179.00",
    "RN4-64": "209.00",
    "TV4-55": "649.00",
    "TV4A-43": "329.00",
    "TV4A-32": "199.00",
    "ROUTER3": "39.99",
    "ROUTER3C": "24.99",
    "ROUTERHD-1T": "229.00",
    "CAM360": "44.99",
    "XIAOFANG": "29.99",
    "BAND2": "29.99",
    "PURIFIER2": "149.00",
    "VACUUM1": "299.00",
    "YEELIGHT-C": "24.99",
    "PLUG-WIFI": "14.99",
    "NBAIR13": "799.00",
    "NBAIR12": "599.00",
    "SPEAKER-BT": "34.99",
    "AISPEAKER": "59.99",
    "PB-10000": "19.99",
    "PB-20000": "29.99",
    "PISTON3": "14.99",
    "CABLE-C": "4.99",
    "SELFIE": "17.99",
    "SCOOTER-M365": "399.00",
}

# SKU code -> units in the German warehouse, where that differs from the usual opening stock:
# a few lines run low, and one phone is out of stock, so the store shows every stock state
# (a back-order ships by the date of the purchase order on its way: ``DE_INCOMING``).
DE_STOCK = {"MIX-256": 3, "TV4-55": 2, "MI6-128-BLU": 0}
DE_INCOMING = {"MI6-128-BLU": (50, 10)}  # SKU -> (units, days until they arrive)
