using Judge.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddJudgeApi();
var app = builder.Build();
await app.PrepareJudgeAsync();
app.MapJudgeApi();
await app.RunAsync();
