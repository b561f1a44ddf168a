using Judge.Api;

// The content root is the build output, not the working directory: the host watches its content root for configuration
// files, and a repository's working directory holds the database's and the logs' files, whose every write woke the watcher.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddJudgeApi();
var app = builder.Build();
await app.PrepareJudgeAsync();
app.MapJudgeApi();
await app.RunAsync();
