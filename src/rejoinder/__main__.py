from rejoinder.cli import app

app(prog_name="rejoinder")
