"""``build_demo()``: the Design Studio page. Layout first, event wiring last."""
import gradio as gr

from .context import AppParts, Studio
from .data_tab import DataTab
from .explore import ExploreTab
from . import hosting, memory
from .quota import expire_workspaces, usage_markdown
from .runs import list_runs as runs_of
from .train_tab import TrainTab
from .ui import CSS, PICTURES, THEME, handler, make_image_cache_atomic
from .accounts import account_of
from .workspace import cleanup_inactive, page_visitor_id, start_janitor, visitor_id_for

MAX_FILE_SIZE = "50mb"   # per uploaded file; larger ones are refused with a toast (HTTP 413)
STORAGE_KEY = "design-studio-visitor"


def launch_options(limits: hosting.Limits | None = None) -> dict:
    """Keyword arguments for ``demo.launch`` (app.py and the tests use the same); with a users
    file in ``limits``, Gradio's password login."""
    # run_history=False: the browser must not keep call inputs (the Hub token among them).
    # show_error=True: an input Gradio cannot parse (a seed of "abc" sent through the API) gets its
    # one-line reason instead of a bare "Error"; studio handlers only raise one-line gr.Errors anyway.
    # state_session_capacity: studio.memory says why not Gradio's 10,000.
    return dict(theme=THEME, css=CSS, max_file_size=MAX_FILE_SIZE, run_history=False, show_error=True,
                footer_links=["api", "gradio"], state_session_capacity=memory.GRADIO_SESSIONS,
                **({"auth": hosting.password_auth(limits), "auth_message": "Sign in to Design Studio."}
                   if limits is not None and limits.users_file is not None else {}))


def build_demo(studio: Studio | None = None) -> gr.Blocks:
    studio = studio or Studio()
    make_image_cache_atomic()
    memory.fix_mmap_threshold()
    memory.start_heap_trimmer()
    data, train, explore = DataTab(studio), TrainTab(studio), ExploreTab(studio)
    studio.manager.configure(studio.limits)

    def active_visitors() -> set[str]:
        return {j.visitor_id for j in list(studio.manager.jobs.values()) if j.active}

    with gr.Blocks(title="Design Studio", delete_cache=(3600, 24 * 3600)) as demo:
        stored_id = gr.BrowserState("", storage_key=STORAGE_KEY, secret=studio.ws.browser_secret())
        visitor = gr.Textbox("", visible=False, label="visitor_id")
        with gr.Row(equal_height=True):  # one header row: the usage line must not push Explore below the fold
            with gr.Column(scale=3):
                gr.Markdown("# Design Studio\nTurn about a hundred photos of your designs into a generator of "
                            "new ones: **1 · Data** → **2 · Train** → **3 · Explore**.", elem_id="header")
            with gr.Column(scale=1, min_width=260, elem_id="account"):
                if studio.limits.sign_in == "hf":
                    gr.LoginButton(elem_id="login")
                usage = gr.Markdown("", elem_id="usage")
        with gr.Tabs(selected="data", elem_id="tabs") as tabs:
            with gr.Tab("1 · Data", id="data", elem_id="tab_data"):
                data.layout()
            with gr.Tab("2 · Train", id="train", elem_id="tab_train") as train_tab:
                train.layout()
            with gr.Tab("3 · Explore", id="explore", elem_id="tab_explore") as explore_tab:
                explore.layout()
        gr.Markdown(f"{studio.ws.describe()} Training device: {train.device_name}. Every action is also an "
                    "API endpoint (see “Use via API”); API calls may pass `visitor_id`, otherwise their "
                    "session is the visitor.", elem_id="footer")

        # ---- wiring ----
        @handler
        def my_usage(visitor_id: str = "", request: gr.Request = None) -> str:
            """What this visitor's workspace uses (uploads, datasets, runs, board) against any quota, and when
            it expires if left untouched."""
            return usage_markdown(studio.visitor(visitor_id, request), studio.limits)

        app = AppParts(tabs=tabs, visitor=visitor, data=data, train=train, explore=explore, usage=usage,
                       show_usage=my_usage)
        data.wire(app)
        train.wire(app)
        explore.wire(app)

        @handler
        def on_load(stored, background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode,
                    model, request: gr.Request):
            """Who this page belongs to (kept in the browser across reloads), and their files."""
            # A new id for a first visit (or one stored before ids had to be long): the files
            # made under the old id, or under this session in the page's first second, move to it.
            vid = page_visitor_id(studio.ws, stored, visitor_id_for("", request))
            stored_vid = vid
            if account_of(request) is not None:  # signed in: the account's workspace, in any browser
                vid = studio.visitor_id("", request)
            v = studio.ws.visitor(vid)
            v.touch()
            cleanup_inactive(studio.ws, keep=active_visitors())
            summary, preview = data.restore(background, tolerance, threshold, auto_threshold, invert, crop,
                                            margin, size, mode, vid)
            has_job = studio.manager.latest_job_for(vid) is not None
            return {stored_id: stored_vid, visitor: vid, usage: usage_markdown(v, studio.limits),
                    **train.refresh(vid, request),
                    explore.model: explore.model_dropdown(vid, value=model), data.summary: summary,
                    data.preview: preview, train.timer: gr.Timer(active=has_job), **data.ready()}

        first = demo.load(on_load, [stored_id] + data.cleanup_inputs + [explore.model],
                  [stored_id, visitor, usage, train.dataset, train.runs, explore.model, data.summary, data.preview,
                   train.timer, data.files, data.sample, data.sample_colour], api_visibility="private") \
            .then(explore.first_design, [*explore.load_inputs, visitor], explore.load_outputs,
                  api_visibility="private", show_progress="hidden")
        explore.cancel_on_pick(first)

        @handler
        def list_datasets(visitor_id: str = "", request: gr.Request = None) -> list[dict]:
            """This visitor's datasets: name, count, resolution, channels."""
            return [{k: d[k] for k in ("name", "count", "resolution", "channels")}
                    for d in studio.visitor(visitor_id, request).list_datasets()]

        @handler
        def list_runs(visitor_id: str = "", request: gr.Request = None) -> list[dict]:
            """This visitor's runs: name, state, step, label, dataset, has_model."""
            return [{k: r[k] for k in ("name", "state", "step", "label", "dataset", "has_model")}
                    for r in runs_of(studio.visitor(visitor_id, request), studio.manager)]

        @handler
        def list_models(visitor_id: str = "", request: gr.Request = None) -> list[dict]:
            """Models this visitor can explore: label and the reference /generate takes."""
            return [{"label": label, "model": ref}
                    for label, ref in explore.model_choices(studio.visitor(visitor_id, request))]

        for fn in (list_datasets, list_runs, list_models):
            gr.api(fn, api_name=fn.__name__, concurrency_id="lists", concurrency_limit=8)
        gr.api(my_usage, api_name="usage", concurrency_id="lists", concurrency_limit=8)
        for tab in (train_tab, explore_tab):
            tab.select(my_usage, [visitor], [usage], api_visibility="private", show_progress="hidden")
        train_tab.select(train.refresh_keep, [train.dataset, train.runs, visitor], [train.dataset, train.runs],
                         api_visibility="private")
        explore_tab.select(explore.refresh_models, [explore.model, visitor], [explore.model],
                           api_visibility="private")

    demo.queue(default_concurrency_limit=2, max_size=256)
    memory.bound_queue_records(demo)
    PICTURES.attach(demo)
    start_janitor(studio.ws, active_visitors, also=lambda keep: expire_workspaces(studio.ws, studio.limits, keep))
    return demo
