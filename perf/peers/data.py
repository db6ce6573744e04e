"""A seeded, realistic messages table for the peer benchmark (issue 22).

Text is generated as sentences of Zipf-distributed words (a few hundred common English words, mail and
support-desk vocabulary, and a long tail of made-up words), with row lengths drawn from a log-normal
distribution clipped to 200 B - 20 KB (median ~700 B, a heavy tail of long mails), capitalised sentence starts,
commas, paragraphs, and the entities LFs look for: phone numbers, money amounts, URLs, e-mail addresses,
runs of capitals, version numbers, dates, error and tracking codes. Non-ASCII text appears as real mail has it:
curly apostrophes and quotes, dashes, accented words, the odd emoji (about a fifth of short rows, most long
rows). Every row has a latent kind (spam or not; billing, bug, account or shipping topic) that shifts its
vocabulary, so the LFs fire at realistic rates.

Vectorized (NumPy gathers bytes from a token table), so 200,000 rows (~190 MB of text) take seconds.
"""
import numpy as np

COMMON = """the of and to a in is it you that he was for on are with as I his they be at one have this from or
had by hot word but what some we can out other were all there when up use your how said an each she which do
their time if will way about many then them write would like so these her long make thing see him two has look
more day could go come did number sound no most people my over know water than call first who may down side been
now find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line differ turn cause much
mean before move right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own page should
country found answer school grow study still learn plant cover food sun four between state keep eye never last
let thought city tree cross farm hard start might story saw far sea draw left late run while press close night
real life few north open seem together next white children begin got walk example ease paper group always music
those both mark often letter until mile river car feet care second book carry took science eat room friend began
idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual young
ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door product
black short numeral class wind question happen complete ship area half rock order fire south problem piece told
knew pass since top whole king space heard best hour better true during hundred five remember step early hold
west ground interest reach fast verb sing listen six table travel less morning ten simple several vowel toward
war lay against pattern slow center love person money serve appear road map rain rule govern pull cold notice
voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest
correct able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean warm
free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay wheel full
force blue object decide surface deep moon island foot system busy test record boat common gold possible plane
stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring yes distant fill
east paint language among""".split()

MAIL = """hi hello dear team please attached attachment meeting agenda minutes schedule calendar call tomorrow
today friday monday update report project deadline review draft document file link thanks regards cheers best
kind sincerely forward reply question follow office client customer account order service support issue request
ticket update status note quick reminder available discuss proposal budget quarter invoice payment contract
manager colleague lunch conference room slides notes feedback""".split()

SPAM = """free winner prize bonus jackpot cash offer deal exclusive limited guaranteed congratulations claim
reward discount cheap buy click subscribe unsubscribe credit loan casino lottery viagra pharmacy risk save
selected won urgent act instant million dollars gift card""".split()

SPAM_PHRASES = ["free money", "cash bonus", "gift card", "no credit check", "risk free", "act now", "limited time",
                "expires today", "last chance", "click here", "click below", "click now", "opt out", "opt-out",
                "50% off", "20% off", "FREE", "WIN", "CASH", "CONGRATULATIONS", "!!!", "!!"]

TOPICS = {
    "billing": """refund invoice billing charged chargeback payment receipt subscription plan price card bank
        statement overcharged twice cancel renewal""".split() + ["invoice #4821937", "inv-2023118", "invoice 99102834"],
    "bug": """crash crashes crashed bug exception error freeze broken fails failing timeout slow release build
        version logs screenshot""".split() + ["stack trace", "NullPointerException", "ERROR", "FATAL", "not working",
                                             "doesn't load", "isn't working", "won't load"],
    "account": """password login username locked account 2fa two-factor email verify verification sign profile
        security reset access permissions""".split() + ["log in", "locked out", "reset my password",
                                                         "forgot password", "change password"],
    "shipping": """delivery shipment package courier tracking arrived delayed address parcel warehouse shipped
        carrier""".split() + ["tracking number", "out for delivery"],
}

NON_ASCII = ["don’t", "it’s", "we’re", "I’m", "can’t", "“great”", "—", "–", "café", "résumé", "naïve",
             "Zürich", "São Paulo", "façade", "jalapeño", "déjà vu", "über", "Müller", "Ångström", "coöperate",
             "🙂", "👍", "…", "€50", "£20", "señor", "Ελλάδα", "Москва", "東京", "niño"]

DOMAINS = (["gmail.example", "outlook.example", "corp.example", "acme.example", "mail.example", "partner.example",
            "vendor.example", "school.example", "bank.example", "shop.example"]
           + [f"team{i}.example" for i in range(20)]
           + ["promo.example", "deals.example", "win-big.example", "bulkmail.example", "offers.example"]
           + ["ups.example", "fedex.example", "dhl.example", "post.example", "courier.example"])
PROMO_DOMAINS = ["promo.example", "deals.example", "win-big.example", "bulkmail.example", "offers.example"]
CARRIER_DOMAINS = ["ups.example", "fedex.example", "dhl.example", "post.example", "courier.example"]
CHANNELS = ["email", "web", "chat", "phone"]
TOPIC_NAMES = ["billing", "bug", "account", "shipping"]

ENTITY_KINDS = ["phone", "money", "url", "email", "caps", "version", "date", "errcode", "tracking", "number"]


def _syllable_words(rng, n):
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cl",
              "dr", "fl", "gr", "pl", "pr", "st", "str", "th", "tr", "sh", "ch", "sp", "qu"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"]
    codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "x"]
    out = set()
    while len(out) < n:
        k = rng.choice([1, 2, 2, 3])
        out.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(k)))
    return sorted(out)


def _entities(rng, kind, n):
    d = lambda k: rng.integers(0, 10, (n, k))  # noqa: E731 - digits
    s = lambda a: "".join(map(str, a))  # noqa: E731
    if kind == "phone":
        sep = rng.choice(["-", ".", " "], n)
        return [(f"({s(a[:3])}) " if i % 3 == 0 else f"{s(a[:3])}{p}") + f"{s(a[3:6])}{p if p != ' ' else '-'}{s(a[6:])}"
                for i, (a, p) in enumerate(zip(d(10), sep))]
    if kind == "money":
        cur = rng.choice(["$", "$", "$", "€", "£", "$ "], n)
        amt = np.exp(rng.uniform(0, 9, n))
        return [f"{c}{a:,.2f}" if i % 2 else f"{c}{int(a)}" for i, (c, a) in enumerate(zip(cur, amt))]
    if kind == "url":
        hosts = ["www.example.com", "deals.example.net", "docs.example.org", "app.example.io", "bit.example"]
        return [f"{'https' if i % 3 else 'http'}://{rng.choice(hosts)}/{s(a)}" for i, a in enumerate(d(6))]
    if kind == "email":
        names = ["john.smith", "support", "billing", "alice", "bob_jones", "noreply", "team+news", "m.muller"]
        return [f"{rng.choice(names)}{i % 97}@{rng.choice(DOMAINS)}" for i in range(n)]
    if kind == "caps":
        return list(rng.choice(["URGENT", "ASAP", "FYI", "IMPORTANT", "NOTICE", "REMINDER", "ACTION", "REQUIRED",
                                "OK", "USA", "NASA", "HTML", "PDF", "CEO", "FREE", "WINNER", "SALE", "NOW", "API",
                                "HTTPS", "JSON", "SQL", "CSV", "EOD", "TBD"], n))
    if kind == "version":
        return [f"{'v' if i % 2 else ''}{a[0]}.{a[1]}.{s(a[2:4])}" for i, a in enumerate(d(4))]
    if kind == "date":
        return [f"20{s(a[:2])}-{1 + a[2] % 9:02d}-{10 + a[3] % 19:02d}" for a in d(4)]
    if kind == "errcode":
        return [f"{rng.choice(['ERR', 'E', 'ERR-', 'E_', 'err'])}{s(a)}" for a in d(4)]
    if kind == "tracking":
        alnum = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        return ["1Z" + "".join(rng.choice(alnum, 16)) for _ in range(n)]
    return [str(int(x)) for x in np.exp(rng.uniform(0, 8, n))]


def _zipf_probs(n, s=1.07):
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def generate(rows, seed, block=20_000):
    """The messages table: id, text, subject, sender_domain, channel, priority, n_links, n_recipients, score
    (1% null) and the latent kinds spam (0/1) and topic (0-3)."""
    import pyarrow as pa
    rng = np.random.default_rng(seed)
    words = list(dict.fromkeys(COMMON + MAIL))
    tail = _syllable_words(rng, 4000)
    base = words + tail
    nb = len(base)
    # Token table: each token carries its leading separator. Ranges: base words, Capitalised base words,
    # spam words/phrases, topic words per topic, entities per kind, non-ASCII, punctuation.
    tokens = [" " + w for w in base] + [" " + w[:1].upper() + w[1:] for w in base]
    spam_start = len(tokens)
    tokens += [" " + w for w in SPAM + SPAM_PHRASES]
    spam_n = len(tokens) - spam_start
    topic_ranges = []
    for t in TOPIC_NAMES:
        start = len(tokens)
        tokens += [" " + w for w in TOPICS[t]]
        topic_ranges.append((start, len(tokens) - start))
    ent_ranges = {}
    for kind in ENTITY_KINDS:
        start = len(tokens)
        tokens += [" " + e for e in _entities(rng, kind, 3000 if kind not in ("caps",) else 400)]
        ent_ranges[kind] = (start, len(tokens) - start)
    na_start = len(tokens)
    tokens += [" " + w for w in NON_ASCII]
    na_n = len(tokens) - na_start
    punct = {".": len(tokens), "!": len(tokens) + 1, "?": len(tokens) + 2, ",": len(tokens) + 3,
             ".\n\n": len(tokens) + 4}
    tokens += [".", "!", "?", ",", ".\n\n"]
    enc = [t.encode("utf-8") for t in tokens]
    tlen = np.array([len(b) for b in enc], dtype=np.int64)
    toff = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum(tlen, out=toff[1:])
    tbytes = np.frombuffer(b"".join(enc), dtype=np.uint8)
    probs = _zipf_probs(nb)
    # Entity rates per token (spam rows get more money, caps, urls, phones).
    ent_rate_ham = {"phone": .002, "money": .002, "url": .002, "email": .002, "caps": .004, "version": .0015,
                    "date": .0015, "errcode": .0006, "tracking": .0003, "number": .006}
    ent_rate_spam = dict(ent_rate_ham, phone=.006, money=.008, url=.008, caps=.012)

    spam = rng.random(rows) < 0.3
    topic = rng.integers(0, 4, rows)
    length = np.clip(np.exp(rng.normal(np.log(700), 0.95, rows)), 200, 20_000)
    data_parts, offsets_parts, links = [], [], np.zeros(rows, dtype=np.int32)
    base_offset = 0
    for b0 in range(0, rows, block):
        b1 = min(rows, b0 + block)
        n = b1 - b0
        ntok = np.maximum(60, (length[b0:b1] / 5.2).astype(np.int64))
        row_of = np.repeat(np.arange(n), ntok)
        total = int(ntok.sum())
        ids = rng.choice(nb, total, p=probs)
        is_spam = spam[b0:b1][row_of]
        tp = topic[b0:b1][row_of]
        u = rng.random(total)
        # Topic words (3%), spam words (4% in spam rows, 0.15% elsewhere).
        t_start = np.array([r[0] for r in topic_ranges])[tp]
        t_len = np.array([r[1] for r in topic_ranges])[tp]
        m = u < 0.03
        ids[m] = t_start[m] + (rng.random(m.sum()) * t_len[m]).astype(np.int64)
        m = (u >= 0.03) & (u < 0.03 + np.where(is_spam, 0.04, 0.0015))
        ids[m] = spam_start + rng.integers(0, spam_n, m.sum())
        # Entities.
        u2 = rng.random(total)
        acc = np.zeros(total)
        url_mask = np.zeros(total, dtype=bool)
        for kind in ENTITY_KINDS:
            rate = np.where(is_spam, ent_rate_spam[kind], ent_rate_ham[kind])
            m = (u2 >= acc) & (u2 < acc + rate)
            acc = acc + rate
            start, cnt = ent_ranges[kind]
            ids[m] = start + rng.integers(0, cnt, m.sum())
            if kind == "url":
                url_mask |= m
        # Non-ASCII (0.25% of tokens).
        m = rng.random(total) < 0.0025
        ids[m] = na_start + rng.integers(0, na_n, m.sum())
        # Sentence ends (~1 in 14 tokens), commas (~1 in 12), paragraphs; capitalise the word after an end.
        u3 = rng.random(total)
        first = np.zeros(total, dtype=bool)
        first[np.cumsum(ntok) - ntok] = True
        last = np.zeros(total, dtype=bool)
        last[np.cumsum(ntok) - 1] = True
        end = (u3 < 1 / 14) & ~first
        comma = (u3 >= 1 / 14) & (u3 < 1 / 14 + 1 / 12) & ~first & ~last
        kinds = rng.random(total)
        ends = np.where(kinds < 0.8, punct["."], np.where(kinds < 0.88, punct["!"],
                                                            np.where(kinds < 0.94, punct["?"], punct[".\n\n"])))
        ids[end] = ends[end]
        ids[comma] = punct[","]
        ids[last] = np.where(kinds[last] < 0.7, punct["."], punct["!"])
        # No two punctuation tokens in a row (",," or "., "): the second becomes a word again.
        is_p = ids >= punct["."]
        double = np.zeros(total, dtype=bool)
        double[1:] = is_p[1:] & is_p[:-1] & ~last[1:]
        ids[double] = rng.choice(nb, int(double.sum()), p=probs)
        end &= ~double
        cap = np.zeros(total, dtype=bool)
        cap[1:] = end[:-1]
        cap |= first
        cap &= ids < nb
        ids[cap] += nb
        links[b0:b1] = np.bincount(row_of[url_mask], minlength=n).astype(np.int32)
        # Gather the bytes; drop each row's leading space.
        lens = tlen[ids]
        starts = toff[ids]
        cum = np.cumsum(lens)
        gather = np.arange(int(cum[-1]), dtype=np.int64) - np.repeat(cum - lens, lens) + np.repeat(starts, lens)
        buf = tbytes[gather]
        row_bytes = np.bincount(row_of, weights=lens, minlength=n).astype(np.int64)
        row_start = np.zeros(n, dtype=np.int64)
        np.cumsum(row_bytes[:-1], out=row_start[1:])
        keep = np.ones(buf.size, dtype=bool)
        keep[row_start] = False
        buf = buf[keep]
        offs = row_start - np.arange(n) + base_offset
        data_parts.append(buf)
        offsets_parts.append(offs)
        base_offset += buf.size
    data = np.concatenate(data_parts)
    offsets = np.concatenate(offsets_parts + [np.array([data.size], dtype=np.int64)])
    text = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(data))
    text = text.cast(pa.string()) if data.size < 2**31 - 1 else text
    subject = _subjects(rng, rows, spam, topic, base, probs)
    domain = np.where(spam & (rng.random(rows) < 0.4), rng.choice(PROMO_DOMAINS, rows),
                      np.where((topic == 3) & (rng.random(rows) < 0.3), rng.choice(CARRIER_DOMAINS, rows),
                               rng.choice(DOMAINS[:30], rows, p=_zipf_probs(30))))
    channel = rng.choice(CHANNELS, rows, p=[0.55, 0.2, 0.15, 0.1])
    priority = np.clip(rng.poisson(2, rows) + 1 + (topic == 1), 1, 5).astype(np.int32)
    recipients = np.where(spam & (rng.random(rows) < 0.3), rng.integers(20, 500, rows),
                          rng.geometric(0.4, rows)).astype(np.int32)
    score = rng.beta(2, 2, rows) * np.where(spam, 0.6, 1.0)
    score_null = rng.random(rows) < 0.01
    return pa.table({
        "id": pa.array(np.arange(rows, dtype=np.int64)),
        "text": text,
        "subject": pa.array(subject, pa.string()),
        "sender_domain": pa.array(domain, pa.string()),
        "channel": pa.array(channel, pa.string()),
        "priority": pa.array(priority),
        "n_links": pa.array(links),
        "n_recipients": pa.array(recipients),
        "score": pa.array(np.round(score, 4), mask=score_null),
        "spam": pa.array(spam.astype(np.int32)),
        "topic": pa.array(topic.astype(np.int32)),
    })


def _subjects(rng, rows, spam, topic, base, probs):
    prefix = rng.choice(["", "", "", "Re: ", "RE: ", "Fwd: ", "FW: "], rows)
    n = rng.integers(2, 9, rows)
    ids = rng.choice(len(base), (rows, 8), p=probs)
    spam_w = rng.choice(["FREE", "Winner", "Act now", "Limited time", "You won", "Cash bonus"], rows)
    topic_w = np.array(["Invoice", "Crash", "Password", "Delivery"])[topic]
    out = []
    for i in range(rows):
        words = [base[j] for j in ids[i, : n[i]]]
        words[0] = words[0][:1].upper() + words[0][1:]
        lead = spam_w[i] if spam[i] and i % 2 else topic_w[i] if i % 3 == 0 else None
        out.append(prefix[i] + ((lead + " ") if lead else "") + " ".join(words))
    return out


def describe(table):
    """Length statistics of the text column, for the report."""
    import pyarrow.compute as pc
    lengths = pc.binary_length(table.column("text").cast("binary")).to_numpy()
    non_ascii = pc.invert(pc.string_is_ascii(table.column("text"))).to_numpy(zero_copy_only=False)
    return {"mean_bytes": float(lengths.mean()), "median_bytes": float(np.median(lengths)),
            "min_bytes": int(lengths.min()), "max_bytes": int(lengths.max()),
            "p99_bytes": float(np.percentile(lengths, 99)), "text_mib": float(lengths.sum() / 2**20),
            "non_ascii_rows": float(non_ascii.mean())}
