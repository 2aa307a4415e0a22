"""Scoring-core latency: one 15-paragraph, ~1,000-word article scored with explanations.

Prints the median and p95 of `Scorer.score` on one core, the time of one
compiled-regex pass over the same text (the floor any text scanner pays) and
their ratio, plus the model's load time and artifact size.

    python bench/score_latency.py [--repeat 300] [--model DIR]

The article is written here (no text from ../shared): 15 paragraphs mixing
sourced reporting, hedged speculation, vague sources and promotional chrome.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# One core, as the goal says: no BLAS thread pool for the small matrix products of scoring.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

PARAGRAPHS = [
    "Pemerintah Kota Sukamaju menaikkan tarif air bersih sebesar 12 persen mulai bulan depan, sebuah langkah yang langsung memicu protes dari pedagang kecil di pasar induk dan warga di tiga kecamatan yang selama ini mengeluhkan pasokan yang tidak menentu.",
    "Kepala Dinas Pekerjaan Umum, Ratna Wulandari, mengatakan kenaikan itu diperlukan untuk membiayai perbaikan pipa yang sudah berumur lebih dari empat puluh tahun. “Kebocoran kami mencapai sepertiga dari air yang diproduksi setiap hari,” ujarnya kepada wartawan di balai kota, Senin.",
    "Menurut data perusahaan daerah air minum, sekitar 48.000 sambungan rumah tangga akan terdampak kebijakan ini, sementara tarif untuk sekolah, rumah ibadah dan puskesmas tidak berubah sampai akhir tahun anggaran.",
    "Namun kabarnya sebagian dana perbaikan itu justru akan dialihkan untuk proyek lain yang belum pernah dibahas di dewan. Sumber yang enggan disebut namanya menyebut ada tekanan dari pihak tertentu agar tender segera dibuka sebelum pemilihan.",
    "Kenaikan tarif ini diduga bisa memicu gelombang penolakan yang lebih besar dan mungkin berdampak pada elektabilitas wali kota menjelang pemilihan tahun depan, apalagi harga kebutuhan pokok juga terus naik dalam beberapa bulan terakhir.",
    "Baca juga: Warga Keluhkan Air Keruh Selama Dua Pekan, PDAM Janji Perbaikan",
    "Para pengamat menilai kebijakan tersebut tidak transparan dan berpotensi merugikan kelompok berpenghasilan rendah yang tidak punya sumber air alternatif, terutama di kawasan padat di pinggir sungai.",
    "Ketua Komisi C DPRD Sukamaju, Hendra Saputra, menyatakan bahwa pihaknya akan memanggil direksi perusahaan air minum pekan depan untuk meminta penjelasan rinci mengenai rencana investasi, jadwal perbaikan dan dasar perhitungan tarif baru tersebut.",
    "Sementara itu, warga di Kelurahan Cempaka melaporkan bahwa air di rumah mereka hanya mengalir pada malam hari sejak awal bulan. Beberapa keluarga terpaksa membeli air jeriken dengan harga tiga kali lipat dari tarif resmi yang berlaku sekarang.",
    "HEBOH! Air PDAM disebut mengandung zat berbahaya yang pasti merusak ginjal anak-anak, warganet ramai membagikan video air berwarna kecoklatan tanpa penjelasan dari mana rekaman itu berasal!!!",
    "Laboratorium Kesehatan Daerah dalam keterangan resmi menyatakan hasil uji sampel pekan lalu menunjukkan kualitas air masih memenuhi baku mutu, meski kekeruhan sempat meningkat setelah hujan deras di hulu.",
    "Pemerintah provinsi disebut-sebut akan turun tangan jika polemik ini terus berlanjut, tetapi hingga kini belum ada pernyataan resmi dari kantor gubernur mengenai kemungkinan subsidi atau penundaan kenaikan tarif.",
    "Dengan anggaran yang terbatas, perbaikan jaringan diperkirakan baru selesai dalam tiga sampai lima tahun, sehingga keluhan soal air keruh dan aliran yang tersendat tampaknya masih akan terdengar dalam waktu dekat.",
    "Ikuti kami di WhatsApp Channel dan Google News untuk mendapatkan informasi terbaru setiap hari. Klik di sini untuk bergabung!",
    "Penulis: Dimas Pratama | Editor: Sari Anggraini",
]
#: Second halves that bring the article to ~1,000 words (news paragraphs of 60-80 words).
EXTENSIONS = [
    " Di beberapa titik, antrean warga yang membawa ember dan jeriken terlihat sejak subuh, sementara truk tangki milik kelurahan hanya datang dua kali seminggu dengan jadwal yang sering berubah tanpa pemberitahuan.",
    " Ia menambahkan bahwa perusahaan telah mengajukan pinjaman kepada bank daerah dan berharap pekerjaan fisik bisa dimulai pada triwulan ketiga, setelah proses lelang selesai dan kontraktor ditetapkan secara terbuka.",
    " Data yang sama menunjukkan tingkat kehilangan air turun dari 41 persen menjadi 33 persen dalam lima tahun terakhir, tetapi angka itu masih jauh di atas rata-rata nasional yang ditetapkan kementerian.",
    " Informasi yang beredar di grup percakapan warga bahkan menyebut nama sejumlah kontraktor yang konon sudah dijanjikan proyek, meski tidak ada dokumen yang bisa menunjukkan hal tersebut secara jelas.",
    " Sejumlah warga juga khawatir kenaikan tarif akan diikuti kenaikan biaya sambungan baru, yang selama ini sudah dianggap terlalu mahal bagi keluarga muda yang baru pindah ke perumahan di pinggiran kota.",
    "",
    " Mereka juga menyoroti minimnya sosialisasi kepada warga sebelum keputusan diambil, karena pengumuman hanya dipasang di papan kantor kelurahan dan di laman resmi perusahaan beberapa hari sebelum diberlakukan.",
    " Menurut Hendra, dewan juga akan meminta audit independen atas penggunaan dana penyertaan modal yang diberikan pemerintah kota dalam tiga tahun terakhir, termasuk rincian belanja pipa dan meteran air.",
    " Ketua RW setempat, Yusuf Hidayat, mengatakan pihaknya sudah tiga kali menyurati perusahaan air minum tetapi belum mendapat jawaban tertulis. “Kami hanya ingin kepastian kapan air normal kembali,” katanya.",
    " Video itu disebut sudah ditonton ratusan ribu kali dan dibagikan ke berbagai grup tanpa keterangan waktu maupun lokasi perekaman yang jelas, sehingga banyak orang tua panik.",
    " Kepala laboratorium, Nurul Aini, menjelaskan bahwa sampel diambil dari dua belas titik distribusi dan diuji untuk parameter kimia serta bakteri sesuai peraturan menteri kesehatan yang berlaku.",
    " Juru bicara pemerintah provinsi, Agus Salim, saat dihubungi hanya mengatakan bahwa pihaknya masih mempelajari laporan dari pemerintah kota dan belum dapat memberikan komentar lebih jauh.",
    " Pengelola juga menyiapkan layanan pengaduan daring dan nomor telepon khusus bagi pelanggan yang ingin melaporkan kebocoran atau gangguan aliran di wilayah masing-masing.",
    "",
    "",
]
#: Third sentences for the prose paragraphs (indices 0-4 and 6-12), to reach ~1,000 words.
CLOSINGS = [
    " Pedagang sayur di pasar induk mengaku harus mengurangi jam berjualan karena tidak bisa mencuci dagangan sebelum fajar seperti biasanya.",
    " Ia memastikan perusahaan akan melaporkan kemajuan pekerjaan setiap tiga bulan kepada dewan dan mengumumkannya di laman resmi.",
    " Kementerian menetapkan batas kehilangan air maksimal dua puluh persen untuk perusahaan daerah yang ingin mendapat dukungan pembiayaan pusat.",
    " Tidak satu pun dari klaim itu dapat dikonfirmasi oleh redaksi sampai berita ini diturunkan.",
    " Sebagian warga mengatakan akan menggelar aksi damai di depan balai kota jika tuntutan mereka tidak ditanggapi dalam dua pekan.",
    "",
    " Mereka meminta pemerintah kota membuka dokumen kajian tarif kepada publik agar warga dapat menilai sendiri dasar perhitungannya.",
    " Rapat dengar pendapat itu dijadwalkan terbuka untuk umum dan akan disiarkan langsung melalui kanal resmi dewan.",
    " Petugas kelurahan berjanji menambah jadwal truk tangki mulai pekan depan setelah berkoordinasi dengan dinas terkait.",
    "",
    " Hasil uji lengkap akan diumumkan setiap bulan dan dapat diminta oleh warga melalui layanan informasi publik.",
    " Kantor gubernur dijadwalkan menggelar rapat koordinasi dengan seluruh kepala daerah pada akhir bulan ini.",
    " Warga diimbau mencatat nomor pengaduan dan menyimpan bukti pembayaran untuk memudahkan penanganan keluhan.",
    "",
    "",
]
TITLE = "Tarif Air Naik 12 Persen, Warga Sukamaju Protes: Apa Sebenarnya yang Terjadi?"
#: The floor: one pass of one compiled pattern (all words) over the same text.
REGEX_FLOOR = re.compile(r"\w+")


def median_seconds(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--model", default=None, help="model directory (default: bundled)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the goal says

    started = time.perf_counter()
    from model import Article, load_scorer  # timed: import + unpickle + checks is what a worker pays

    scorer = load_scorer(args.model)
    load_s = time.perf_counter() - started
    text = "\n".join(p + extra + closing for p, extra, closing in zip(PARAGRAPHS, EXTENSIONS, CLOSINGS))
    article = Article(title=TITLE, text=text)
    scorer.score(article)  # warm caches (lingua's models, numpy)
    n_words = len(text.split()) + len(TITLE.split())

    score_med, score_p95 = median_seconds(lambda: scorer.score(article, explain=True), args.repeat)
    regex_med, _ = median_seconds(lambda: REGEX_FLOOR.findall(text), args.repeat)
    artifact = Path(scorer.card.get("artifact", "")) if scorer.card else None
    size_mb = scorer.card.get("artifact_bytes", 0) / 1e6 if scorer.card else float("nan")

    print(f"article: {len(PARAGRAPHS)} paragraphs, {n_words} words (+ headline)")
    print(f"model load (imports + sha256 + unpickle): {load_s * 1000:.0f} ms   artifact: {size_mb:.2f} MB ({artifact})")
    print(f"score with explanations: median {score_med * 1e3:.3f} ms, p95 {score_p95 * 1e3:.3f} ms  (goal <= 2 ms median)")
    print(f"one compiled-regex pass: median {regex_med * 1e3:.3f} ms")
    print(f"ratio score / regex pass: {score_med / regex_med:.1f}x  (goal <= 8x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
