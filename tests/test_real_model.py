"""Integration with the real packaged model: the citation contract on the corpus and the dev set."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from cimic.evaluation import decide, evaluate, figures


def test_packaged_model_loads_offline(real_encoder):
    vec = real_encoder.embed_query("civil-military cooperation")
    assert vec.shape == (384,) and vec.dtype == np.float32
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)
    docs = real_encoder.embed_documents(["civil-military cooperation", "baking bread"])
    assert docs.shape == (2, 384)
    assert np.allclose(docs[0], vec, atol=1e-5)  # query and document paths agree
    assert float(docs[0] @ vec) > float(docs[1] @ vec)


def test_every_indexed_chunk_keeps_the_citation_contract(real_assistant):
    data = real_assistant._data
    for c in data.chunks:
        assert real_assistant.document(c.doc).text[c.start : c.end] == c.text


def test_every_dev_answer_keeps_the_citation_contract(real_assistant, dev_questions):
    for item in dev_questions:
        answer = real_assistant.ask(item["question"], history=item.get("history", []), k=5)
        assert len(answer.passages) <= 5
        for p in answer.passages + answer.weak_matches:
            assert real_assistant.document(p.doc).text[p.start : p.end] == p.text
            assert p.title and p.highlights
            for s, e in p.highlights:
                assert 0 <= s < e <= len(p.text)


def test_chrome_never_comes_back(real_assistant):
    for q in [
        "How do I reset my password?",
        "Subscribe to the newsletter",
        "download videos from the website",
    ]:
        answer = real_assistant.ask(q, k=10)
        for p in answer.passages + answer.weak_matches:
            assert "password" not in p.text.lower() and "newsletter" not in p.text.lower()


def test_seven_baseline_requirements_come_whole(real_assistant):
    top = real_assistant.ask("What are the seven baseline requirements?").passages[0]
    for item in (
        "continuity of government",
        "energy supplies",
        "uncontrolled movement of people",
        "food and water",
        "mass casualties",
        "civil communications",
        "civil transportation",
    ):
        assert item in top.text


def test_dev_set_figures_hold(real_assistant, dev_questions, tmp_path):
    """Aggregate guard on the dev set (issue 2 targets), not a per-question check."""
    from .conftest import CORPUS

    outcomes = evaluate(real_assistant, dev_questions, CORPUS)
    core = [o for o in outcomes if o.kind not in ("follow_up", "out_of_scope")]
    f = figures(core, decide(core, real_assistant.abstention))["all"]
    assert f["hit@5"] >= 0.90, f
    assert f["mrr@5"] >= 0.75, f


@pytest.mark.parametrize(
    ("question", "expected_doc"),
    [
        (
            "Who closed the Deep-Dive session?",
            "nato-genad-deep-dive-gender-perspectives-in-cimic.txt",
        ),
        (
            "Which directive is NATO's key document on the gender perspective?",
            "nato-genad-cooperative-security-and-gender-perspective.txt",
        ),
        (
            "What is the secretariat role of the gender office?",
            "nato-ims-office-of-the-gender-advisor.txt",
        ),
    ],
)
def test_each_document_answers_its_own_questions(real_assistant, question, expected_doc):
    answer = real_assistant.ask(question)
    assert not answer.abstained
    assert answer.passages[0].doc == expected_doc


def test_fast_query_path_matches_sentence_transformers(real_encoder):
    assert real_encoder._fast is not None
    questions = [
        "What is CMI?",
        "Qu'est-ce que la coopération civilo-militaire ?",
        "🙂",
        "word " * 400,
    ]
    reference = real_encoder._model.encode(questions, normalize_embeddings=True)
    for q, ref in zip(questions, reference, strict=True):
        fast = real_encoder._encode_one(q)
        assert float(fast @ ref) > 0.99999


def test_onnx_query_encoder_is_used_and_agrees(real_assistant):
    from cimic import onnx_query

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    enc = real_assistant.encoder
    assert enc.query_backend == "onnxruntime"
    for q in ["What is CMI?", "and in peacetime?", "Что такое CIMIC?", "word " * 400]:
        assert float(enc._onnx.encode(q) @ enc._encode_one(q)) > 0.9999
    # A question's unknown words go through in one padded run: each as if on its own.
    words = ["salary", "headcount", "wargamming", "Ukraine", "x", "word " * 400]
    together = enc._onnx.encode_many(words)
    assert np.abs(together - np.vstack([enc._onnx.encode(w) for w in words])).max() < 1e-5
    # Common English words come from the lexicon made with the export (float16: within 2e-3);
    # the others from one run, then the cache.
    lexicon = enc._onnx.lexicon
    assert lexicon is not None and len(lexicon) == len(
        onnx_query.lexicon_words(enc._onnx.tokenizer)
    )
    assert len(lexicon) > 21_361 + onnx_query.LEXICON_ENGLISH * 0.9  # the tokenizer's and more
    # "catastrophes" is pyspellchecker's word, not the tokenizer's; "headcount" is in neither
    assert lexicon.get("salary") is not None and lexicon.get("catastrophes") is not None
    assert lexicon.get("headcount") is None
    enc._cache.clear()
    runs = []
    many = enc._onnx.encode_many
    enc._onnx.encode_many = lambda texts: runs.append(list(texts)) or many(texts)
    try:
        assert np.abs(enc.embed_queries(words[:3]) - together[:3]).max() < 2e-3
        assert runs == [["headcount", "wargamming"]]
        assert enc._cache.get("headcount") is not None and enc._cache.get("salary") is None
        runs.clear()
        enc.embed_queries(["salary", "budget"])  # all in the lexicon: no encoder run
        assert runs == []
    finally:
        enc._onnx.encode_many = many


def test_token_vectors_agree_between_onnx_and_pytorch(real_assistant):
    """The export's token output is the transformer's last layer, special tokens left out, with
    each token's place in the text; padded runs of several texts give each its own."""
    from cimic import onnx_query

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    enc = real_assistant.encoder
    texts = ["Who counsels the chair?", "The IMS Gender Advisor advises the NCGP Chairperson."]
    onnx = enc._onnx.token_vectors(texts)
    kept, enc._onnx = enc._onnx, None
    try:
        torch = enc.token_vectors(texts)
    finally:
        enc._onnx = kept
    for a, b, text in zip(onnx, torch, texts, strict=True):
        assert a.spans == b.spans and len(a.spans) == len(a.vectors)
        assert a.spans[0] == (0, 3) and a.spans[-1][1] == len(text)  # "Who"/"The" … "?"/"."
        assert all(x[1] <= y[0] for x, y in zip(a.spans, a.spans[1:], strict=False))
        assert float(np.min(np.sum(a.vectors * b.vectors, axis=1))) > 0.999
        assert np.allclose(np.linalg.norm(a.vectors, axis=1), 1.0, atol=1e-4)


def test_a_verb_is_read_in_context(real_assistant):
    """ "Who *counsels* the NCGP Chairperson?" over "The IMS Gender Advisor *advises* the NCGP
    Chairperson.": the verb read in context comes closer than an unrelated one, which the
    single-word vectors did not tell apart (eval/README.md)."""
    from cimic.abstention import _in_context

    enc = real_assistant.encoder
    passage = "The IMS Gender Advisor advises the NCGP Chairperson."

    def read(question: str, verb: str) -> float | None:
        got = enc.token_vectors([question, passage])
        return _in_context(question, [verb], got[0], got[1:])

    assert read("Who counsels the NCGP Chairperson?", "counsels") > (
        read("Who audits the NCGP Chairperson?", "audits") + 0.1
    )
    assert read("Who counsels the chair?", "drafts") is None  # not in the question
    # the pooled vector of a text in the run is its embedding
    got = enc.token_vectors(["Who counsels the chair?", passage])
    assert float(got[1].pooled @ enc.embed_query(passage)) > 0.9999


@pytest.fixture
def small_lexicon(monkeypatch):
    """Exports in a test make a lexicon of 200 words (the full one takes some 17 s to make)."""
    from cimic import onnx_query

    full = onnx_query.lexicon_words
    monkeypatch.setattr(onnx_query, "lexicon_words", lambda tokenizer: full(tokenizer)[:200])


def test_damaged_lexicon_is_reported_and_not_used(tmp_path, real_assistant, caplog, small_lexicon):
    from cimic import onnx_query
    from cimic.embedding import OnnxQueryEncoder, load_encoder

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    index = tmp_path / "index"
    shutil.copytree(real_assistant.index_dir, index)
    npy = next((index / "onnx").glob("*.lexicon.npy"))
    data = bytearray(npy.read_bytes())
    data[-100] ^= 0xFF
    npy.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="cimic"):
        enc = load_encoder(index_dir=index)
    assert isinstance(enc, OnnxQueryEncoder) and enc._onnx.lexicon is None
    assert "lexicon" in caplog.text and "fails its checksum" in caplog.text
    vec = enc.embed_queries(["salary"])[0]  # embedded by a run instead
    assert float(vec @ enc._onnx.encode("salary")) > 0.9999
    # The next build's export step makes it again.
    assert onnx_query.ensure_lexicon(index, enc.fingerprint())
    caplog.clear()
    with caplog.at_level("WARNING", logger="cimic"):
        again = load_encoder(index_dir=index)
    assert again._onnx.lexicon is not None and "lexicon" not in caplog.text


def test_damaged_onnx_export_falls_back_to_pytorch(real_encoder, tmp_path, small_lexicon):
    from cimic import onnx_query

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    kept = real_encoder._onnx
    try:
        assert real_encoder.export_onnx(tmp_path)
        path = next((tmp_path / "onnx").glob("*.onnx"))
        path.write_bytes(path.read_bytes()[:-10])
        assert real_encoder.use_onnx(tmp_path) is False
        assert real_encoder.query_backend == "pytorch"
    finally:
        real_encoder._onnx = kept


def test_onnx_export_is_fused_and_falls_back_to_the_plain_graph(
    real_encoder, tmp_path, caplog, small_lexicon
):
    """The export is fused by ONNX Runtime's transformer optimizer (all six attention layers);
    when fusing fails, the plain graph serves and the log says so; an export made the old way
    keeps serving and the next build's export step makes it again."""
    import json

    from cimic import onnx_query

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    kept = real_encoder._onnx
    fingerprint = real_encoder.fingerprint()
    meta_path = onnx_query._paths(tmp_path / "a", fingerprint)[1]
    try:
        assert real_encoder.export_onnx(tmp_path / "a")
        meta = json.loads(meta_path.read_text())
        assert meta["format"] == onnx_query.EXPORT_FORMAT
        assert meta["fused"]["Attention"] == 6 and meta["fused"]["SkipLayerNormalization"] == 12
        assert real_encoder.use_onnx(tmp_path / "a")
        fused_vec = real_encoder._onnx.encode("Who chairs the Military Committee?")

        def broken(*args, **kwargs):
            raise RuntimeError("no optimizer here")

        with pytest.MonkeyPatch.context() as mp, caplog.at_level("WARNING", logger="cimic"):
            from onnxruntime.transformers import optimizer

            mp.setattr(optimizer, "optimize_model", broken)
            assert real_encoder.export_onnx(tmp_path / "b")
        assert "cannot fuse the ONNX graph (no optimizer here)" in caplog.text
        plain_meta = json.loads(onnx_query._paths(tmp_path / "b", fingerprint)[1].read_text())
        assert plain_meta["fused"] == {} and plain_meta["min_cosine"] >= onnx_query.MIN_COSINE
        assert real_encoder.use_onnx(tmp_path / "b")
        plain_vec = real_encoder._onnx.encode("Who chairs the Military Committee?")
        assert float(plain_vec @ fused_vec) > 0.9999

        # An export of the earlier format (no "format" in its record) still serves questions,
        # and is made again, fused, by the next export step.
        del meta["format"]
        meta_path.write_text(json.dumps(meta))
        assert real_encoder.use_onnx(tmp_path / "a")
        assert not onnx_query.exported(tmp_path / "a", fingerprint)
        assert real_encoder.export_onnx(tmp_path / "a")
        remade = json.loads(meta_path.read_text())
        assert remade["format"] == onnx_query.EXPORT_FORMAT and remade["fused"]["Attention"] == 6
        assert remade.get("lexicon_sha256")
    finally:
        real_encoder._onnx = kept


def _run_python(code: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def test_asking_in_a_fresh_process_never_imports_torch(real_assistant):
    """A question on a built index loads ONNX Runtime and the saved tokenizer, not PyTorch."""
    from cimic import onnx_query

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    base = real_assistant.index_dir.parent
    code = (
        "import sys, json\n"
        "from cimic.cli import main\n"
        "main(['--corpus', 'corpus', '--index', 'index', 'ask', '--json', 'What is CIMIC?'])\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print('HEAVY', json.dumps(heavy))\n"
    )
    done = _run_python(code, base)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout[-500:]
    assert '"passages"' in done.stdout and "ccoe-cimic-concepts" in done.stdout


def test_the_decision_does_not_hang_on_the_process(real_assistant):
    """Same question, same index: the same evidence in processes with different string hashing
    (two focus words of equal specificity once picked the anchors by a set's order)."""
    base = real_assistant.index_dir.parent
    code = (
        "import json\n"
        "from cimic import Assistant\n"
        "from dataclasses import asdict\n"
        "a = Assistant.open('corpus', 'index', update=False)\n"
        'q = "Which countries\' deployments were used as examples in the Deep-Dive session?"\n'
        "print(json.dumps(asdict(a.retrieve(q).evidence), sort_keys=True))\n"
    )
    seen = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=base,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        seen.add(done.stdout.strip().splitlines()[-1])
    assert len(seen) == 1, seen


def test_onnx_only_encoder_embeds_like_pytorch(real_assistant, real_encoder):
    from cimic import onnx_query
    from cimic.embedding import OnnxQueryEncoder, load_encoder

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    enc = load_encoder(index_dir=real_assistant.index_dir)
    assert isinstance(enc, OnnxQueryEncoder) and enc.query_backend == "onnxruntime"
    assert enc.fingerprint() == real_encoder.fingerprint()
    for q in ["What is CMI?", "and in peacetime?", "Что такое CIMIC?", "🙂", "word " * 400]:
        assert float(enc.embed_query(q) @ real_encoder._encode_one(q)) > 0.9999


def test_onnx_only_encoder_loads_pytorch_only_to_embed_documents(tmp_path, real_assistant):
    """A changed corpus asked about from an ONNX-only process is indexed as a full build would."""
    from cimic import Assistant, onnx_query
    from cimic.embedding import OnnxQueryEncoder

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(real_assistant.corpus_dir, corpus)
    shutil.copytree(real_assistant.index_dir, index)
    first = Assistant.open(corpus, index, update=True)
    assert isinstance(first.encoder, OnnxQueryEncoder) and first.encoder._full is None
    (corpus / "added.txt").write_text(
        "The Quartermaster Liaison Cell coordinates fuel deliveries with local suppliers.\n",
        encoding="utf-8",
    )
    second = Assistant.open(corpus, index, update=True)
    assert second.encoder._full is not None  # loaded to embed the new document
    top = second.ask("Who coordinates fuel deliveries with local suppliers?").passages[0]
    assert top.doc == "added.txt"
    vec = second.current().dense.vectors()[-1]
    chunk = second.current().chunks[-1]
    assert float(vec @ second.encoder.full().embed_documents([chunk.embed_text])[0]) > 0.9999


def test_damaged_tokenizer_beside_the_export_falls_back_to_pytorch(
    tmp_path, real_assistant, caplog
):
    from cimic import onnx_query
    from cimic.embedding import SentenceTransformerEncoder, load_encoder

    if not onnx_query.available():
        pytest.skip("onnxruntime not installed")
    index = tmp_path / "index"
    shutil.copytree(real_assistant.index_dir, index)
    tok = next((index / "onnx").glob("*.tokenizer.json"))
    tok.write_text(tok.read_text(encoding="utf-8").replace('"lowercase":true', '"lowercase":false'))
    with caplog.at_level("WARNING", logger="cimic"):
        enc = load_encoder(index_dir=index)
    assert isinstance(enc, SentenceTransformerEncoder)
    assert "fails its checksum" in caplog.text


def test_a_paraphrased_verb_adds_meaning_and_an_unsaid_one_takes_it_away(real_assistant):
    """Neither "runs" nor "audits" is in the passages on Allied Command Operations ("headed by");
    the paraphrase brings the question closer to their best sentence, the verb they never speak
    of takes it away, and only the paraphrase is answered. A verb the passages hold adds nothing."""
    runs = real_assistant.retrieve("Who runs Allied Command Operations?").evidence
    audits = real_assistant.retrieve("Who audits Allied Command Operations?").evidence
    heads = real_assistant.retrieve("Who heads Allied Command Operations?").evidence
    assert runs.predicate < 1.0 and audits.predicate < 1.0
    assert runs.verb_meaning > audits.verb_meaning
    assert heads.predicate == 1.0 and heads.verb_meaning == 0.0
    model = real_assistant.abstention
    assert not model.abstains(runs) and model.abstains(audits)


def test_the_verb_is_read_in_context_only_when_the_decision_can_hang_on_it(real_assistant):
    """Answering reads a missing verb in context only when the decision can change with it;
    evaluation reads every feature. The decisions are the same either way."""
    model = real_assistant.abstention
    skipped = read = 0
    for q in [
        "Who counsels the chair of the gender perspectives committee?",
        "Who arranges the gatherings of the gender committee and its executive?",
        "Who audits NATO's implementation of UNSCR 1325?",
        "Who drafted NATO's 2004 trafficking policy?",
        "Who runs Allied Command Operations?",
        "Who audits Allied Command Operations?",
        "Why did Sweden create the Nordic Centre for Gender in Military Operations?",
        "How do I enrol in an NCGM course?",
    ]:
        full = real_assistant.retrieve(q, full_evidence=True).evidence
        lazy = real_assistant.retrieve(q).evidence
        assert full.predicate < 1.0, q
        assert model.abstains(full) == model.abstains(lazy), q
        if lazy.predicate == full.predicate:
            read += 1
        else:
            skipped += 1
            assert (
                model.abstains(lazy)
                == model.abstains(dataclasses.replace(lazy, predicate=0.0))
                == model.abstains(dataclasses.replace(lazy, predicate=1.0))
            ), q
    assert skipped and read


def test_a_word_whose_stem_is_a_stop_word_anchors_nothing(real_assistant):
    """ "human beings" stems to "be", which every passage holds: it must not stand for the
    question's focus when the answer-type check looks for an instance near it."""
    answer = real_assistant.ask(
        "And who does it promote collaboration with?",
        history=["Tell me about NATO's policy on trafficking in human beings."],
    )
    assert not answer.abstained
    assert any("civil society" in p.text for p in answer.passages)


def test_a_year_the_documents_never_state_is_a_condition_they_do_not_meet(real_assistant):
    """The Deep-Dive article reports the June 2025 session: asked about 2025 it answers, asked
    about a 2024 session it abstains and names the year it lacks."""
    answered = real_assistant.ask("Who took part in the June 2025 Deep-Dive session?")
    assert not answered.abstained
    missing = real_assistant.ask("Who took part in the 2024 Deep-Dive session?")
    assert missing.abstained and "2024" in missing.message


def test_a_short_form_spelt_out_in_lower_case_answers_what_it_stands_for(real_assistant):
    answer = real_assistant.ask("what does SGBV stand for")
    assert not answer.abstained
    assert any("sexual and gender-based violence (SGBV)" in p.text for p in answer.passages[:3])


def test_a_city_stated_of_another_year_does_not_answer_the_year_asked(real_assistant):
    """Vilnius is where the 2023 policy was endorsed; the documents name no city for 2004."""
    assert real_assistant.ask("In which city was NATO's 2004 trafficking policy adopted?").abstained
    answer = real_assistant.ask(
        "In which city did NATO endorse its updated trafficking policy in 2023?"
    )
    assert not answer.abstained
    assert any("Vilnius" in p.text for p in answer.passages)


def test_a_name_answers_who_holds_an_office_only_beside_its_title(real_assistant):
    """The Deep-Dive article names a staff officer of the CIMIC Centre of Excellence, not its
    Commandant; it does name the Strategic Military Advisor to UN Women."""
    missing = real_assistant.ask("Who is the current Commandant of the CIMIC Centre of Excellence?")
    assert missing.abstained and "who holds it now" in missing.message
    assert not real_assistant.ask("Who is the Strategic Military Advisor to UN Women?").abstained


def test_a_missing_list_and_a_missing_reason_are_separate_evidence(real_assistant):
    """A list cue is often missed in a passage that does hold the list; a reason's cue rarely is:
    the decision weighs the two apart."""
    phases = real_assistant.retrieve("What are the phases of the Joint Cooperation Exercise?")
    assert phases.evidence.list_missing == 1.0 and phases.evidence.form_missing == 0.0
    why = real_assistant.retrieve(
        "Why was the Human Security Approach endorsed in Madrid rather than in Brussels?"
    )
    assert why.evidence.form_missing == 1.0 and why.evidence.list_missing == 0.0
    assert real_assistant.abstention.abstains(why.evidence)


def test_a_question_about_the_future_needs_an_answer_stated_of_the_future(real_assistant):
    """The documents name places of past sessions, none of a coming one; no NGO by name beside
    the NCGM, nor any company."""
    for question in (
        "Where will the next Deep-Dive session be held?",
        "Which NGOs partner with the NCGM?",
        "Which companies built the software behind the digital CIMIC Handbook?",
    ):
        assert real_assistant.ask(question).abstained, question
