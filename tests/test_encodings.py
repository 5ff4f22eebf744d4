"""Encodings of imported files: detected (charset-normalizer for legacy code pages), or refused with one
line that says what to do; never read as the wrong code page (mojibake with exit 0)."""

import json

import pytest

ROWS = [("王芳", "云帆科技有限公司"), ("李娜", "杭州西湖贸易"), ("陈明", "深圳华强电子"), ("周杰", "北京创新科技"),
        ("张伟", "上海浦东物流"), ("刘洋", "成都天府软件")]


def _write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def _csv(rows, header=("name", "company")) -> str:
    return "".join(",".join(r) + "\n" for r in [header, *rows])


def _imported(cli, path, *args):
    r = cli("lead", "import", path, "--json", *args)
    return r, (json.loads(r.stdout) if r.exit_code == 0 else None)


@pytest.mark.parametrize("codec,rows,expected", [
    ("big5", [("王芳", "雲帆科技股份有限公司"), ("陳明", "台北貿易有限公司"), ("林志玲", "新竹電子廠"),
              ("黃國華", "高雄港務運輸"), ("張雅婷", "臺中精密機械"), ("吳宗憲", "桃園國際物流")], "cp950"),
    ("shift_jis", [("山田太郎", "株式会社サンプル"), ("佐藤花子", "東京商事株式会社"), ("鈴木一郎", "大阪電機工業"),
                   ("高橋美咲", "名古屋精密機器"), ("田中健", "横浜貿易センター"), ("伊藤さくら", "京都織物")], "cp932"),
    ("euc_kr", [("김철수", "삼성전자주식회사"), ("이영희", "현대자동차"), ("박민수", "엘지화학"),
                ("최지우", "서울무역회사"), ("정대현", "부산해운물류"), ("강수진", "대구섬유공업")], "cp949"),
    ("gbk", ROWS, "gb18030"),
    ("cp1252", [("René Müller", "Café Zürich"), ("José Núñez", "Señor Ltd – “quoted”"),
                ("François Lefèvre", "Crédit Agricole")], "cp1252"),
])
def test_legacy_encodings_are_detected(cli, tmp_path, codec, rows, expected):
    r, out = _imported(cli, _write(tmp_path, f"{codec}.csv", _csv(rows).encode(codec)))
    assert r.exit_code == 0, r.stderr
    assert out["encoding"] == expected and out["created"] == len(rows)
    got = {(x["name"], x["company"]) for x in cli.json("lead", "list")}
    assert got == set(rows)


def test_small_gbk_file_is_still_gb18030(cli, tmp_path):
    r, out = _imported(cli, _write(tmp_path, "g.csv", "姓名,公司\n王芳,云帆\n".encode("gbk")))
    assert r.exit_code == 0 and out["encoding"] == "gb18030"
    assert cli.json("lead", "show", "1")["company"] == "云帆"


def _stray(text: str, line_no: int) -> bytes:
    """UTF-8 text with one Latin-1 byte (é) in `line_no`'s company."""
    lines = text.encode("utf-8").split(b"\n")
    lines[line_no - 1] = lines[line_no - 1] + b" Caf\xe9"
    return b"\n".join(lines)


@pytest.mark.parametrize("case", ["last line after 20 Chinese rows", "first row", "after 20,000 ASCII rows"])
def test_utf8_with_a_stray_byte_is_refused_naming_line_and_byte(cli, tmp_path, case):
    if case == "after 20,000 ASCII rows":
        rows = [(f"Lead {i}", f"Company {i}") for i in range(20_000)] + ROWS
    else:
        rows = (ROWS * 4)[:20] + [("赵敏", "华南贸易")]
    line = {"last line after 20 Chinese rows": len(rows) + 1, "first row": 2,
            "after 20,000 ASCII rows": len(rows) + 1}[case]
    f = _write(tmp_path, "s.csv", _stray(_csv(rows), line))
    r = cli("lead", "import", f)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert f"line {line}: byte 0xE9" in r.stderr and "not valid UTF-8" in r.stderr
    assert cli.json("lead", "list") == []


def test_utf8_with_several_bad_bytes_is_never_read_as_western(cli, tmp_path):
    data = _csv((ROWS * 4)[:20]).encode("utf-8").replace("云帆".encode(), "云帆".encode() + b"\xe9\xe8\xfc\xe0")
    r = cli("lead", "import", _write(tmp_path, "m.csv", data))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "line 2: byte 0xE9" in r.stderr and "not valid UTF-8 (nor are 15 more)" in r.stderr
    assert cli.json("lead", "list") == []


def test_an_unsure_guess_is_refused_naming_encodings_and_the_option(cli, tmp_path):
    data = b"name,company\nA,\x8f\x90\x8d\x81\x9d\n"  # bytes no code page makes sense of
    r = cli("lead", "import", _write(tmp_path, "u.csv", data))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "cannot tell its encoding" in r.stderr and "--encoding" in r.stderr
    assert cli.json("lead", "list") == []


def test_forced_utf16_on_a_utf8_file_is_a_usage_error(cli, run, tmp_path):
    f = _write(tmp_path, "u8.csv", _csv(ROWS).encode("utf-8"))
    p = run("lead", "import", f, "--encoding", "utf-16")
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert p.stderr.startswith("crm: error: --encoding utf-16: ") and "not utf-16" in p.stderr
    odd = _write(tmp_path, "odd.csv", b"name,company\nA,B\n\x00")
    p = run("lead", "import", odd, "--encoding", "utf-16")
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr and cli.json("lead", "list") == []


def test_forced_utf16_without_bom_reads_little_endian(cli, tmp_path):
    f = _write(tmp_path, "le.csv", _csv(ROWS).encode("utf-16-le"))
    r, out = _imported(cli, f, "--encoding", "utf-16")
    assert r.exit_code == 0, r.stderr
    assert out["created"] == len(ROWS)
    assert cli.json("lead", "show", "1")["name"] == "王芳"


def test_echoed_option_values_are_cut(cli, tmp_path):
    f = _write(tmp_path, "a.csv", _csv(ROWS).encode("utf-8"))
    for opt in ("--encoding", "--delimiter"):
        r = cli("lead", "import", f, opt, "x\x1b[31m" + "y" * 10_000)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1
        assert len(r.stderr) < 250 and "\x1b" not in r.stderr and "x\\x1b[31myyy" in r.stderr
