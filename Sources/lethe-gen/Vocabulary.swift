/// Word lists the generator draws from. Cultures pick names and the language a user
/// mostly writes in: English, Russian (Cyrillic), Arabic (right-to-left), Japanese,
/// Chinese (no spaces) and French written with combining accents (NFD, e + U+0301).
enum Vocabulary {
    static let cultureCount = 6

    /// Share of users per culture, in per mille (en, ru, ar, ja, zh, fr).
    static let culturePerMille = [600, 100, 80, 90, 60, 70]

    static let firstNames: [[String]] = [
        ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
         "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe"],
        ["Дмитрий", "Анна", "Сергей", "Ольга", "Никита", "Мария", "Павел", "Елена"],
        ["ليلى", "عمر", "فاطمة", "يوسف", "مريم", "خالد", "نور", "سارة"],
        ["由紀", "健太", "さくら", "翔太", "美咲", "大輔", "陽菜", "蓮"],
        ["伟", "芳", "娜", "强", "敏", "静", "磊", "洋"],
        ["Ame\u{301}lie", "Jérôme", "Chloe\u{308}", "Rene\u{301}", "Zoé", "Noe\u{308}l", "Hélène", "François"],
    ]

    static let lastNames: [[String]] = [
        ["martin", "okafor", "nguyen", "smith", "garcia", "kowalski", "lee", "haddad", "rossi", "jensen",
         "silva", "kim", "muller", "novak", "patel", "cohen"],
        ["Иванов", "Петрова", "Смирнов", "Кузнецова", "Попов", "Соколова"],
        ["حداد", "الخطيب", "منصور", "العلي", "الشامي", "ناصر"],
        ["佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤"],
        ["王", "李", "张", "刘", "陈", "杨"],
        ["Lefe\u{300}vre", "Dupont", "Béranger", "Moreau", "Fave\u{301}", "Girard"],
    ]

    /// ASCII handles for the `name` field, per culture (index matches firstNames).
    static let handles: [[String]] = [
        firstNames[0],
        ["dmitri", "anna", "sergei", "olga", "nikita", "maria", "pavel", "elena"],
        ["layla", "omar", "fatima", "yusuf", "maryam", "khalid", "nour", "sara"],
        ["yuki", "kenta", "sakura", "shota", "misaki", "daisuke", "hina", "ren"],
        ["wei", "fang", "na", "qiang", "min", "jing", "lei", "yang"],
        ["amelie", "jerome", "chloe", "rene", "zoe", "noel", "helene", "francois"],
    ]

    static let timeZones: [(tz: String, label: String, offset: Int)] = [
        ("America/Los_Angeles", "Pacific Standard Time", -28_800),
        ("Europe/Moscow", "Moscow Time", 10_800),
        ("Asia/Dubai", "Gulf Standard Time", 14_400),
        ("Asia/Tokyo", "Japan Standard Time", 32_400),
        ("Asia/Shanghai", "China Standard Time", 28_800),
        ("Europe/Paris", "Central European Time", 3_600),
    ]

    static let words: [[[UInt8]]] = [
        [
            "the", "a", "we", "should", "ship", "release", "deploy", "review", "meeting", "tomorrow", "today", "budget",
            "draft", "roadmap", "customer", "incident", "fix", "bug", "test", "tests", "green", "red", "build",
            "pipeline", "latency", "dashboard", "metrics", "query", "index", "migration", "schema", "database",
            "backup", "restore", "policy", "retention", "archive", "search", "export", "import", "design", "mockup",
            "feedback", "launch", "plan", "quarter", "report", "numbers", "looks", "good", "thanks", "please", "can",
            "someone", "check", "this", "that", "again", "later", "after", "lunch", "sync", "call", "notes", "doc",
            "agenda", "offsite", "hiring", "onboarding", "vendor", "contract", "invoice", "legal", "security",
            "audit", "key", "rotation", "certificate", "server", "cluster", "node", "disk", "memory", "cpu", "alert",
            "pager", "on-call", "rollback", "hotfix", "merge", "branch", "PR", "approved", "blocked", "waiting",
            "done", "shipped", "v2", "beta", "prod", "staging", "R&D", "Q&A", "x<y", "a>b", "100%", "ETA", "FYI",
            "I", "think", "it", "is", "was", "will", "be", "fine", "now", "ok", "sure", "yes", "no", "maybe",
            "and", "or", "but", "for", "with", "on", "in", "to", "of", "from", "by", "about", "at",
        ].map { Array($0.utf8) },
        [
            "привет", "всем", "отчёт", "готов", "сборка", "прошла", "успешно", "можно", "выкатывать", "спасибо",
            "посмотрю", "вечером", "завтра", "встреча", "сервер", "упал", "опять", "база", "данных", "ключ",
            "и", "в", "на", "не", "это", "да", "нет", "ёлки",
        ].map { Array($0.utf8) },
        [
            "مرحبا", "بالجميع", "الاجتماع", "غدا", "شكرا", "جزيلا", "على", "المساعدة", "تم", "تحديث", "الجدول",
            "المشروع", "سأرسل", "التقرير", "قبل", "نهاية", "اليوم", "الخادم", "المفتاح", "في", "من", "و",
        ].map { Array($0.utf8) },
        [
            "会議は明日です", "よろしくお願いします", "資料を共有しました", "了解です", "確認します", "東京オフィス",
            "新しいデザイン", "とても良いと思います", "リリース", "おめでとうございます", "サーバー", "バックアップ",
            "テスト", "完了しました",
        ].map { Array($0.utf8) },
        [
            "明天开会", "谢谢大家", "报告已经完成", "请检查一下", "服务器", "数据库", "备份", "没问题", "发布", "测试通过",
        ].map { Array($0.utf8) },
        [
            "re\u{301}union", "demain", "cafe\u{301}", "re\u{301}sume\u{301}", "de\u{301}ploiement", "pre\u{300}s",
            "e\u{301}quipe", "bientôt", "merci", "à", "la", "le", "de", "pour", "tre\u{300}s", "bien", "fac\u{327}ade",
        ].map { Array($0.utf8) },
    ]

    static let emojiNames: [[UInt8]] = [
        "+1", "+1::skin-tone-4", "tada", "rocket", "eyes", "white_check_mark", "heart", "fire", "thinking_face",
        "pray", "100", "joy", "raised_hands", "smile", "wave", "warning",
    ].map { Array($0.utf8) }

    /// Emoji typed directly into text (several outside the BMP, so escaped files carry surrogate pairs).
    static let rawEmoji: [[UInt8]] = ["🎉", "🚀", "👍🏽", "✅", "🔥", "📊", "🌮", "☕", "🎤", "🦎", "❤️", "👀"].map { Array($0.utf8) }

    static let linkHosts: [[UInt8]] = [
        "https://docs.example.org/d/", "https://git.example.org/apollo/pull/", "https://www.example.com/articles/",
        "https://ci.example.org/job/", "https://wiki.example.org/page/",
    ].map { Array($0.utf8) }

    static let linkLabels: [[UInt8]] = ["the doc", "PR", "article", "build log", "wiki", "details", "this"].map { Array($0.utf8) }

    static let channelWords: [String] = [
        "eng", "design", "ops", "sales", "support", "finance", "legal", "hiring", "apollo", "zeus", "hermes", "data",
        "infra", "mobile", "web", "security", "marketing", "events", "books", "music", "pets", "travel", "food", "help",
    ]

    static let channelPrefixes: [String] = ["proj", "team", "topic", "ext", "ask", "announce", "social", "int"]

    static let reactionNames: [[UInt8]] = emojiNames

    static let fileKinds: [(ext: String, mime: String, filetype: String, pretty: String)] = [
        ("png", "image/png", "png", "PNG"),
        ("pdf", "application/pdf", "pdf", "PDF"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel Spreadsheet"),
        ("txt", "text/plain", "text", "Plain Text"),
        ("jpg", "image/jpeg", "jpg", "JPEG"),
    ]
}
