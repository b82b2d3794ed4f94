"""CSV: Zotero's CSV export and spreadsheet reading lists, from ../shared/data and written here."""

import gzip
import json

import pytest

from conftest import data_file
from layerwise.capture import csljson, csvfile
from layerwise.capture.formats import detect_format
from layerwise.errors import LayerwiseError
from layerwise.records import Item, Skip

ZOTERO_CSV = ("files", "zotero", "library.csv")
READING_LIST_CSV = ("files", "reading-lists", "ml-papers-of-the-week-2023.csv")


@pytest.mark.parametrize("parts", [ZOTERO_CSV, READING_LIST_CSV])
def test_csv_is_detected_from_its_header(parts, tmp_path):
    source = data_file(*parts)
    assert detect_format(source) == "csv"
    renamed = tmp_path / "no-extension"  # content, not the name, decides
    renamed.write_bytes(source.read_bytes())
    assert detect_format(renamed) == "csv"


def test_zotero_csv_gives_what_its_csl_json_export_gives():
    """The same Zotero library exported both ways: every titled item, with the same authors, year, DOI, abstract
    and kind (the CSV adds the conference's name as the venue where CSL-JSON has none)."""
    folder = data_file(*ZOTERO_CSV).parent
    from_csv = list(csvfile.read(folder / "library.csv", "zotero"))
    from_csl = [r for r in csljson.read((folder / "library.csl.json").read_text(), "csl", "zotero") if isinstance(r, Item)]
    items = [r for r in from_csv if isinstance(r, Item)]
    skipped = [r for r in from_csv if isinstance(r, Skip)]
    assert len(items) >= 750 and len(skipped) == 84 and all("no title" in s.reason for s in skipped)
    assert all(s.where.startswith(str(folder / "library.csv") + ":") for s in skipped)
    for item in items + from_csl:
        item.normalise()
    by_title = {}
    for record in from_csl:
        by_title.setdefault(record.title, []).append(record)
    same = 0
    for item in items:
        twins = [r for r in by_title.get(item.title, []) if r.doi == item.doi]
        assert twins, item.title
        twin = twins[0]
        assert (item.authors, item.year, item.abstract, item.kind) == (twin.authors, twin.year, twin.abstract, twin.kind)
        same += item.venue == twin.venue
    assert same >= len(items) - 5
    first = next(i for i in items if i.title.startswith("Revenue-sharing between developers"))
    assert first.authors == ["Tal Avinadav", "Tatyana Chernonog", "Eugene Khmelnitsky"]  # "Last, First; ..."
    assert first.doi == "10.1016/j.ejor.2020.08.036" and first.published == "2020-08" and first.year == 2020
    assert ("zotero", "NXPETHCG") in first.refs  # its Zotero key: addressable as zotero:NXPETHCG


def test_a_reading_list_csv_takes_the_abstract_and_the_paper_link(library):
    report = library.import_file(str(data_file(*READING_LIST_CSV)))
    assert report.skipped == [] and report.added + report.merged + report.unchanged == 420
    items, _ = library.find("Llemma mathematics", limit=3)
    llemma = next(i for i in items if i.title == "Llemma")
    assert llemma.abstract and "Proof-Pile-2" in llemma.abstract  # the Abstract column, not the Description
    assert llemma.arxiv_id  # its PaperURL is an arXiv link; the TweetURL is not taken
    assert "x.com" not in (llemma.url or "")
    assert library.import_file(str(data_file(*READING_LIST_CSV))).added == 0  # again: nothing new


def test_separators_quotes_and_short_rows(library, tmp_path):
    semi = tmp_path / "list.csv"
    semi.write_text('title;authors;year;url\n"Attention; revisited";Ada Lovelace, Alan Turing;2021;'
                    'https://arxiv.org/abs/1706.03762\nDeep Residual Learning\n', encoding="utf-8")
    tabs = tmp_path / "list.tsv"
    tabs.write_text("Title\tAbstract\tItem Type\nA talk on tensors\tLine one\tpresentation\n", encoding="utf-8")
    report = library.import_file(str(semi))
    assert report.added == 2 and report.skipped == []
    attention = library.get("arxiv:1706.03762")
    assert attention.title == "Attention; revisited" and attention.authors == ["Ada Lovelace", "Alan Turing"]
    assert attention.year == 2021
    assert library.import_file(str(tabs)).added == 1
    talk, _ = library.find("tensors", limit=1)
    assert talk[0].kind == "talk" and talk[0].abstract == "Line one"


def test_a_mapping_names_the_columns_and_a_missing_title_column_is_one_clear_error(library, tmp_path, cli,
                                                                                  monkeypatch):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Paper,Notes,Link\nScaling Laws for Neural Language Models,read twice,"
                     "https://arxiv.org/abs/2001.08361\n", encoding="utf-8")
    with pytest.raises(LayerwiseError, match="no title column .*Paper, Notes, Link.*--title-field"):
        library.import_file(str(sheet), format="csv")
    with pytest.raises(LayerwiseError, match="no column 'Name'"):
        library.import_file(str(sheet), format="csv", mapping={"title": "Name"})
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)
    result = cli("import", "--no-prepare", "--json", "--format", "csv", "--title-field", "paper", "--text-field",
                 "Notes", str(sheet))
    assert result.code == 0 and json.loads(result.out)["added"] == 1
    item = library.get("arxiv:2001.08361")
    assert item.title == "Scaling Laws for Neural Language Models" and item.abstract == "read twice"
    result = cli("import", "--no-prepare", str(sheet))  # no title column: not taken for CSV, nor anything else
    assert result.code == 2 and result.err.startswith("error: ") and "Traceback" not in result.err


def test_broken_rows_are_named_and_the_good_ones_kept(library, tmp_path, cli, monkeypatch):
    broken = tmp_path / "broken.csv.gz"
    rows = ['title,abstract', 'Good one,fine', 'Too,many,cells', 'Nul\x00byte,x', '"' + "x" * 200_000 + '",y',
            'Good two,also fine']
    broken.write_bytes(gzip.compress("\n".join(rows).encode()))
    parsed = list(csvfile.read(broken, "b"))
    titles = [r.title for r in parsed if isinstance(r, Item)]
    reasons = {s.where.rsplit(":", 1)[1]: s.reason for s in parsed if isinstance(s, Skip)}
    assert titles[0] == "Good one" and titles[-1] == "Good two"
    assert "3 columns where the header has 2" in reasons["3"] and "field larger than field limit" in reasons["5"]
    monkeypatch.setenv("LAYERWISE_DATABASE_URL", library.database_url)
    result = cli("import", "--no-prepare", str(broken))
    assert result.code == 3 and "Traceback" not in result.err and f"{broken}:3" in result.err
    assert library.find("Good", limit=5)[1] == 2
    assert all("\x00" not in item.title for item in library.find(limit=10)[0])  # the NUL row kept, cleaned


def test_bookmark_services_csv_keep_folder_excerpt_and_tags(library, tmp_path):
    """Read-later and bookmark services export CSV too: a folder or collection becomes the item's context, an
    excerpt its text, and tags split as each writes them (";", "|" or ",")."""
    raindrop = tmp_path / "raindrop.csv"
    raindrop.write_text('id,title,note,excerpt,url,folder,tags,created\n'
                        '1,Mixture of Experts Explained,,A guide to MoE layers,https://huggingface.co/blog/moe,'
                        'Unsorted,"llm, moe",2024-01-02T10:00:00.000Z\n', encoding="utf-8")
    instapaper = tmp_path / "instapaper.csv"
    instapaper.write_text("URL,Title,Selection,Folder,Timestamp\n"
                          "https://jalammar.github.io/illustrated-transformer/,The Illustrated Transformer,,Archive,"
                          "1704189600\n", encoding="utf-8")
    pocket = tmp_path / "pocket.csv"
    pocket.write_text("title,url,time_added,tags,status\nDeep Learning Tuning Playbook,"
                      "https://github.com/google-research/tuning_playbook,1704189600,training|hyperparameters,unread\n",
                      encoding="utf-8")
    for path in (raindrop, instapaper, pocket):
        assert library.import_file(str(path)).added == 1
    items = {i.title: i for i in library.find(limit=10)[0]}
    moe = items["Mixture of Experts Explained"]
    assert moe.abstract == "A guide to MoE layers" and set(moe.tags) == {"llm", "moe"}
    assert moe.extra["context"] == "Unsorted" and moe.published == "2024-01-02"
    assert items["The Illustrated Transformer"].extra["context"] == "Archive"
    playbook = items["Deep Learning Tuning Playbook"]
    assert set(playbook.tags) == {"training", "hyperparameters"} and playbook.kind == "repo"


def test_excel_files_in_other_encodings_separators_and_line_ends(library, tmp_path):
    """What spreadsheets write: a byte-order mark (Excel's "CSV UTF-8"), Windows-1252 text, semicolons (a
    European locale), and carriage returns alone as line ends (Excel on an old Mac)."""
    bom = tmp_path / "excel-utf8.csv"
    bom.write_bytes("\ufeffTitle,Authors\r\nNeural Ordinary Differential Equations,Ricky T. Q. Chen\r\n".encode())
    latin = tmp_path / "excel-1252.csv"
    latin.write_bytes("Title;Authors;Year\r\nRéseaux de neurones profonds;Yann LeCun;2019\r\n".encode("cp1252"))
    mac = tmp_path / "excel-mac.csv"
    mac.write_bytes(b"Title,Year\rFlashAttention: Fast and Memory-Efficient Exact Attention,2022\r"
                    b'"Quoted, with a comma",2023\r')
    for path in (bom, latin, mac):
        assert detect_format(path) == "csv"
        report = library.import_file(str(path))
        assert report.skipped == [] and report.added >= 1, path.name
    titles = {i.title: i for i in library.find(limit=10)[0]}
    assert titles["Neural Ordinary Differential Equations"].authors == ["Ricky T. Q. Chen"]
    assert titles["Réseaux de neurones profonds"].year == 2019
    assert titles["FlashAttention: Fast and Memory-Efficient Exact Attention"].year == 2022
    assert "Quoted, with a comma" in titles
